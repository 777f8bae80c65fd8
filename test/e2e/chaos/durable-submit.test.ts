import { startPrivateRedis, testEnv, waitFor } from '@llmq/testing';
import { startSystem } from '../system-harness';
import { chaosFull, drainAndTally, report } from './chaos-ledger';
import { pacedSubmit } from './chaos-load';
import { startCountingReceiver } from './webhook-tally';

/**
 * Chaos scenario: a 202 is a promise. Jobs arrive at a fixed rate, each with an Idempotency-Key
 * and a webhook; clients retry a 503 (or no answer) with the same key. Two workers, one of them
 * SIGKILLed several times; the scenario's own Redis (AOF, `appendfsync always`, as shipped) SIGKILLed once
 * while submits are in flight and started again ~3 s later from its AOF. Every 202 id must
 * complete exactly once (0 stuck, 0 not found, one job per key), every webhook arrive, and every
 * provider call the simulator received be counted: in its job's attempts, or in its late-calls
 * list when two runs of the job raced (a lock lost while its worker still ran). `npm run chaos` runs 3,000
 * jobs at 100/s with 5 worker kills; CI runs 300 at 50/s with 2.
 */
const { CHAOS_SUBMIT_JOBS, CHAOS_RUN } = testEnv();
const jobCount = chaosFull ? CHAOS_SUBMIT_JOBS : 300;
const rate = chaosFull ? 100 : 50;
const kills = chaosFull ? 5 : 2;
const redisDownMs = 3000;
const runMs = (jobCount / rate) * 1000;

type System = Awaited<ReturnType<typeof startSystem>>;
type Attempt = { outcome: string };

/** Each id's job status (null: no record: "not found") and its non-skipped attempts. */
async function readJobs(system: System, ids: string[]) {
  const jobs = new Map<
    string,
    { status: string | null; calls: number; late: number; writes: number }
  >();
  for (let start = 0; start < ids.length; start += 500) {
    const pipeline = system.redis.pipeline();
    const batch = ids.slice(start, start + 500);
    for (const id of batch) {
      pipeline.hmget(`${system.prefix}:job:${id}`, 'status', 'result', 'result_writes');
      // Calls of a run that lost the race to end the job (see CallJournal).
      pipeline.llen(`${system.prefix}:job-calls-late:${id}`);
    }
    const replies = (await pipeline.exec()) ?? [];
    batch.forEach((id, index) => {
      const [status, result, writes] = (replies[2 * index]?.[1] ?? []) as Array<string | null>;
      const late = Number(replies[2 * index + 1]?.[1] ?? 0);
      const attempts = result ? ((JSON.parse(result).attempts ?? []) as Attempt[]) : [];
      jobs.set(id, {
        status: status ?? null,
        calls: attempts.filter((attempt) => attempt.outcome !== 'skipped').length + late,
        late,
        writes: Number(writes ?? 0),
      });
    });
  }
  return jobs;
}

/** How many job records exist under the prefix: one per key when idempotency holds. */
async function countJobRecords(system: System): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, found] = await system.redis.scan(
      cursor,
      'MATCH',
      `${system.prefix}:job:job_*`,
      'COUNT',
      1000,
    );
    cursor = next;
    count += found.length;
  } while (cursor !== '0');
  return count;
}

it(
  `keeps every 202 across a Redis SIGKILL mid-submit and ${kills} worker SIGKILLs`,
  async () => {
    const redis = await startPrivateRedis('always');
    const receiver = await startCountingReceiver();
    // Started inside the try: a system that never gets ready still stops its Redis and receiver.
    let running: System | undefined;
    try {
      const system = await startSystem({
        redisUrl: redis.url,
        workers: 2,
        env: { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
        workerEnv: {
          WORKER_CONCURRENCY: '50',
          LOCK_DURATION_MS: '5000',
          STALLED_INTERVAL_MS: '2000',
          // A job may be caught by several kills and by the Redis crash; it must not fail for that.
          MAX_STALLED_COUNT: String(kills + 3),
          WEBHOOK_RELAY_CLAIM_IDLE_MS: '2000',
          WEBHOOK_RETRY_DELAYS_MS: '200,500,1000,2000,4000',
          SUBMISSION_SWEEP_INTERVAL_MS: '1000',
          SUBMISSION_SWEEP_GRACE_MS: '3000',
        },
        simulatorModels: { 'sim-gpt-fast': { latencyMs: 150 } },
      });
      running = system;
      const webhookUrl = receiver.url;
      const load = pacedSubmit({
        apiUrl: system.apiUrl,
        rate,
        count: jobCount,
        body: (index) => ({
          model: 'sim-gpt-fast',
          prompt: `durable submit ${index}`,
          max_tokens: 8,
          webhook: { url: webhookUrl },
        }),
        idempotencyKey: (index) => `durable-${index}`,
        retry: { intervalMs: 300, forMs: 120_000 },
      });
      let killed = 0;
      const killer = (async () => {
        for (let round = 0; round < kills; round += 1) {
          await new Promise((resolve) => setTimeout(resolve, runMs / (kills + 1)));
          const victim = system.workers.filter((worker) => worker.child.exitCode === null)[0];
          if (!victim) continue;
          await victim.stop('SIGKILL');
          system.workers.splice(system.workers.indexOf(victim), 1);
          killed += 1;
          system.startWorker();
        }
      })();
      // Redis dies while submits are in flight, a little before half-way.
      await new Promise((resolve) => setTimeout(resolve, runMs * 0.4));
      await redis.crash();
      await new Promise((resolve) => setTimeout(resolve, redisDownMs));
      await redis.restart();
      const submitted = await load;
      await killer;

      const counts = await drainAndTally(
        system.redis,
        system.prefix,
        submitted.accepted,
        chaosFull ? 300_000 : 120_000,
      );
      const webhooks = await waitFor(
        () => {
          const tally = receiver.tally(submitted.accepted);
          return tally.undelivered === 0 ? tally : undefined;
        },
        { timeoutMs: chaosFull ? 300_000 : 90_000, intervalMs: 500, what: 'every webhook' },
      ).catch(() => receiver.tally(submitted.accepted));

      const jobs = await readJobs(system, submitted.accepted);
      const notFound = [...jobs.values()].filter((job) => job.status === null).length;
      const stuck = [...jobs.values()].filter(
        (job) => job.status === 'queued' || job.status === 'active',
      ).length;
      const records = await countJobRecords(system);
      // Provider calls the simulator received, per job, against the calls each job recorded.
      const received = new Map<string, number>();
      // The x-llmq-attempt header of each call, per job: two calls with one number were made
      // by two runs of the job at once (a lock lost while its worker still ran it).
      const callNumbers = new Map<string, string[]>();
      for (const call of system.simulator.counters().recent) {
        const id = call.headers['x-llmq-job-id'];
        if (!id) continue;
        received.set(id, (received.get(id) ?? 0) + 1);
        callNumbers.set(id, [
          ...(callNumbers.get(id) ?? []),
          call.headers['x-llmq-attempt'] ?? '?',
        ]);
      }
      const concurrentRuns = [...callNumbers.values()].filter(
        (numbers) => new Set(numbers).size < numbers.length,
      ).length;
      let callsReceived = 0;
      let callsRecorded = 0;
      let unrecordedCalls = 0;
      let recordedNotReceived = 0;
      const unrecordedSample: Array<{ id: string; callNumbers?: string[]; recorded: number }> = [];
      for (const [id, job] of jobs) {
        const got = received.get(id) ?? 0;
        callsReceived += got;
        callsRecorded += job.calls;
        if (got > job.calls) {
          unrecordedCalls += got - job.calls;
          if (unrecordedSample.length < 5)
            unrecordedSample.push({ id, callNumbers: callNumbers.get(id), recorded: job.calls });
        } else recordedNotReceived += job.calls - got;
      }
      const callsOfUnknownJobs = [...received.entries()]
        .filter(([id]) => !jobs.has(id))
        .reduce((sum, [, n]) => sum + n, 0);

      const problems: string[] = [];
      if (submitted.accepted.length !== jobCount)
        problems.push(`${jobCount - submitted.accepted.length} submits never got a 202`);
      const refused = Object.keys(submitted.rejected);
      if (refused.length > 0) problems.push(`submits answered ${refused.join(', ')}`);
      if (!submitted.retried['503 redis_unavailable'])
        problems.push('no submit was answered 503 while Redis was down');
      if (new Set(submitted.accepted).size !== submitted.accepted.length)
        problems.push('two keys were answered with one job id');
      if (records !== submitted.accepted.length)
        problems.push(`${records} job records for ${submitted.accepted.length} keys`);
      if (notFound > 0) problems.push(`${notFound} accepted jobs not found`);
      if (stuck > 0) problems.push(`${stuck} accepted jobs stuck`);
      if (counts.completed !== submitted.accepted.length)
        problems.push(`${submitted.accepted.length - counts.completed} not completed`);
      if (counts.completedTwice > 0) problems.push(`${counts.completedTwice} written twice`);
      if (webhooks.undelivered > 0) problems.push(`${webhooks.undelivered} webhooks undelivered`);
      if (webhooks.unstableIds > 0) problems.push(`${webhooks.unstableIds} webhook-ids changed`);
      if (unrecordedCalls > 0)
        problems.push(`${unrecordedCalls} provider calls in no job's attempts`);
      if (callsOfUnknownJobs > 0)
        problems.push(`${callsOfUnknownJobs} provider calls for jobs nobody was given`);
      if (killed !== kills) problems.push(`only ${killed} of ${kills} kills happened`);
      if (system.api.child.exitCode !== null) problems.push('the API exited');
      report({
        // `CHAOS_RUN=n` keeps each of several runs apart in the report.
        scenario: `8-durable-submit${CHAOS_RUN ? `-run${CHAOS_RUN}` : ''}`,
        counts,
        details: {
          jobs: jobCount,
          ratePerSecond: rate,
          workerKills: killed,
          redisDownMs,
          notFound,
          stuck,
          jobRecords: records,
          retried: submitted.retried,
          replayed: submitted.replayed,
          providerCalls: {
            received: callsReceived,
            recorded: callsRecorded,
            unrecorded: unrecordedCalls,
            recordedNotReceived,
            late: [...jobs.values()].reduce((sum, job) => sum + job.late, 0),
            jobsRunTwiceAtOnce: concurrentRuns,
            unrecordedSample,
          },
          webhooks,
        },
        problems,
      });
      expect(problems).toEqual([]);
    } finally {
      await running?.stop();
      await receiver.close();
      await redis.destroy();
    }
  },
  chaosFull ? 1_200_000 : 300_000,
);
