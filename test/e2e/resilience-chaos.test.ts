import { testEnv, waitFor } from '@llmq/testing';
import { startSystem } from './system-harness';

/**
 * The fault run of the resilience issue: 30% 500s and 10% 429s (retry-after 1 s) on the primary
 * model, two worker processes, every job must complete and no model may be called again by a
 * job before the retry-after of a 429 it got has passed. CI runs 200 jobs; `npm run chaos` runs
 * the full 1,000 (env CHAOS_JOBS).
 */
const jobCount = testEnv().CHAOS_JOBS;

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;

beforeAll(async () => {
  system = await startSystem({
    workers: 2,
    env: { JOB_ATTEMPTS: '3' },
    workerEnv: {
      WORKER_CONCURRENCY: '100',
      // Compressed backoff so the run stays short; the 1 s retry-after still dominates.
      RETRY_BASE_DELAY_MS: '20',
      RETRY_MAX_DELAY_MS: '200',
      CIRCUIT_COOLDOWN_MS: '1000',
    },
    simulatorModels: {
      'sim-gpt-fast': {
        latencyMs: 0,
        faults: { status500: 0.3, status429: 0.1, retryAfterSeconds: 1 },
      },
    },
  });
});
afterAll(async () => {
  await system?.stop();
});

async function submitAll(count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 100) {
    const batch = Array.from({ length: Math.min(100, count - start) }, (_, index) =>
      system.submit({
        model: 'sim-gpt-fast',
        prompt: `chaos job ${start + index}`,
        max_tokens: 16,
      }),
    );
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

it(`completes ${jobCount} jobs through 30% 500s and 10% 429s, honouring every retry-after`, async () => {
  const ids = await submitAll(jobCount);
  const statuses = await waitFor(
    async () => {
      const pipeline = system.redis.pipeline();
      for (const id of ids) pipeline.hget(`${system.prefix}:job:${id}`, 'status');
      const replies = (await pipeline.exec()) ?? [];
      const values = replies.map(([, value]) => value as string | null);
      return values.every((value) => value === 'completed' || value === 'failed')
        ? values
        : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250, what: `${jobCount} jobs to finish` },
  );
  expect(statuses.filter((status) => status === 'completed')).toHaveLength(jobCount);

  const calls = system.simulator
    .counters()
    .recent.filter((call) => ids.includes(call.headers['x-llmq-job-id'] ?? ''));
  // The faults really happened.
  expect(calls.filter((call) => call.status === 429).length).toBeGreaterThan(0);
  // At about the configured rate of the calls that reached the faulty model: no fewer 500s
  // than three standard deviations under 30% of them. How many calls reach it varies: a 429
  // pauses the model for every worker for its retry-after, and the jobs that meet the pause go
  // to their fallback without a call, so on a loaded machine, where an early 429 comes back
  // before most jobs have called, a run may make only a dozen calls to it (with 14 calls, the
  // fixed bound this replaces, more than 15% of them, failed one run in six by chance).
  const faultyCalls = calls.filter((call) => call.model === 'sim-gpt-fast');
  expect(faultyCalls.length).toBeGreaterThan(0);
  const expected500s = faultyCalls.length * 0.3;
  expect(calls.filter((call) => call.status === 500).length).toBeGreaterThanOrEqual(
    Math.floor(expected500s - 3 * Math.sqrt(expected500s * 0.7)),
  );

  // No call for a model arrived before the retry-after of a 429 the same job got had expired.
  const byJobAndModel = new Map<string, number[]>();
  const early: string[] = [];
  for (const call of calls) {
    const key = `${call.headers['x-llmq-job-id']}|${call.model}`;
    const limitedAt = byJobAndModel.get(key) ?? [];
    for (const at of limitedAt) {
      if (call.at < at + 1000) early.push(`${key} called ${call.at - at} ms after a 429`);
    }
    if (call.status === 429) byJobAndModel.set(key, [...limitedAt, call.at]);
  }
  expect(early).toEqual([]);

  // Every job's result lists its calls, the successful one last.
  const pipeline = system.redis.pipeline();
  for (const id of ids) pipeline.hget(`${system.prefix}:job:${id}`, 'result');
  const results = ((await pipeline.exec()) ?? []).map(
    ([, value]) =>
      JSON.parse(value as string) as { attempts: Array<{ outcome: string }>; routing: unknown },
  );
  // Each job that met a fault (a 500 or a 429 in the simulator's log) has it among its
  // attempts and went on: retried, or answered by its fallback. (A job that reached the model
  // while a 429 paused it went to its fallback without a call, so not every job met one.)
  const faulted = new Set(
    calls.filter((call) => call.status !== 200).map((call) => call.headers['x-llmq-job-id']),
  );
  expect(faulted.size).toBeGreaterThan(0);
  const notRetried = ids.filter(
    (id, index) => faulted.has(id) && (results[index]?.attempts.length ?? 0) < 2,
  );
  expect(notRetried).toEqual([]);
  for (const result of results) {
    expect(result.attempts.at(-1)).toMatchObject({ outcome: 'success' });
    expect(result.routing).toMatchObject({ mode: 'explicit', model: 'sim-gpt-fast' });
  }
});
