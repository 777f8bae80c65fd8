import { waitFor } from '@llmq/testing';
import { startSystem } from '../system-harness';
import { chaosFull, drainAndTally, report } from './chaos-ledger';
import { pacedSubmit } from './chaos-load';
import { startCountingReceiver } from './webhook-tally';

/**
 * Chaos scenario 1: two workers, one of them SIGKILLed five times while the jobs run (a new
 * one started each time). Nothing accepted may be lost, no result written twice, and every job's
 * webhook arrives with one `webhook-id`, however often it was redelivered. `npm run chaos` runs
 * 5,000 jobs; CI runs 400 and two kills.
 */
const jobCount = chaosFull ? 5000 : 400;
const kills = chaosFull ? 5 : 2;
const rate = chaosFull ? 100 : 80;

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System | undefined;
let receiver: Awaited<ReturnType<typeof startCountingReceiver>> | undefined;

afterAll(async () => {
  await system?.stop();
  await receiver?.close();
});

it(
  `loses nothing and writes each result once while a worker is SIGKILLed ${kills} times`,
  async () => {
    receiver = await startCountingReceiver();
    system = await startSystem({
      workers: 2,
      env: { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
      workerEnv: {
        WORKER_CONCURRENCY: '50',
        LOCK_DURATION_MS: '2000',
        STALLED_INTERVAL_MS: '1000',
        // A job may be caught by several kills; it must not fail for that.
        MAX_STALLED_COUNT: String(kills + 1),
        WEBHOOK_RELAY_CLAIM_IDLE_MS: '1000',
        WEBHOOK_RETRY_DELAYS_MS: '200,400,800,1600,3200',
      },
      simulatorModels: { 'sim-gpt-fast': { latencyMs: 150 } },
    });
    const running = system;
    const webhookUrl = receiver.url;
    const durationMs = (jobCount / rate) * 1000;
    let killed = 0;
    const killer = (async () => {
      for (let round = 0; round < kills; round += 1) {
        await new Promise((resolve) => setTimeout(resolve, durationMs / (kills + 1)));
        const victim = running.workers.filter((worker) => worker.child.exitCode === null)[0];
        if (!victim) continue;
        await victim.stop('SIGKILL');
        running.workers.splice(running.workers.indexOf(victim), 1);
        killed += 1;
        running.startWorker();
      }
    })();
    const submitted = await pacedSubmit({
      apiUrl: running.apiUrl,
      rate,
      count: jobCount,
      body: (index) => ({
        model: 'sim-gpt-fast',
        prompt: `sigkill chaos ${index}`,
        max_tokens: 8,
        webhook: { url: webhookUrl },
      }),
    });
    await killer;
    const counts = await drainAndTally(
      running.redis,
      running.prefix,
      submitted.accepted,
      chaosFull ? 300_000 : 90_000,
    );
    const finished = receiver;
    const webhooks = await waitFor(
      () => {
        const tally = finished.tally(submitted.accepted);
        return tally.undelivered === 0 ? tally : undefined;
      },
      { timeoutMs: chaosFull ? 300_000 : 60_000, intervalMs: 500, what: 'every webhook' },
    ).catch(() => finished.tally(submitted.accepted));
    // For a few undelivered events, what the delivery log says (pending, retrying, failed...).
    const delivered = new Set(
      finished.received.map((message) => {
        try {
          return (JSON.parse(message.body) as { data?: { id?: string } }).data?.id;
        } catch {
          return undefined;
        }
      }),
    );
    const undeliveredSample = await Promise.all(
      submitted.accepted
        .filter((id) => !delivered.has(id))
        .slice(0, 5)
        .map(async (id) => {
          const { body } = await running.request('GET', `/v1/jobs/${id}/deliveries`);
          return { id, deliveries: body?.data?.map((entry: { status: string }) => entry.status) };
        }),
    );

    const problems: string[] = [];
    // A loaded machine can make the load generator give up on a submit (15 s): reported, and
    // not a loss (no 202 was given). An answer other than 202, or an API that died, is a fault.
    const refused = Object.entries(submitted.rejected).filter(
      ([key]) => !key.startsWith('network'),
    );
    if (refused.length > 0)
      problems.push(`submits answered ${refused.map(([key, n]) => `${key} x${n}`)}`);
    if (running.api.child.exitCode !== null) problems.push('the API exited');
    if (counts.lost > 0) problems.push(`${counts.lost} lost`);
    if (counts.completedTwice > 0) problems.push(`${counts.completedTwice} written twice`);
    if (counts.failed > 0) problems.push(`${counts.failed} failed`);
    if (webhooks.undelivered > 0) problems.push(`${webhooks.undelivered} webhooks undelivered`);
    if (webhooks.unstableIds > 0) problems.push(`${webhooks.unstableIds} webhook-ids changed`);
    if (killed !== kills) problems.push(`only ${killed} of ${kills} kills happened`);
    report({
      scenario: '1-sigkill-workers',
      counts,
      details: { kills: killed, rejected: submitted.rejected, webhooks, undeliveredSample },
      problems,
    });
    expect(problems).toEqual([]);
  },
  chaosFull ? 900_000 : 240_000,
);
