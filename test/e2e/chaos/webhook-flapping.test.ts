import { waitFor } from '@llmq/testing';
import { startSystem } from '../system-harness';
import { chaosFull, drainAndTally, report } from './chaos-ledger';
import { pacedSubmit } from './chaos-load';
import { startCountingReceiver } from './webhook-tally';

/**
 * Chaos scenario 5 (`npm run chaos` only): for several minutes the webhook receiver flaps, up
 * for 15 s (2xx), then down for 25 s (503s, some 500s, some answers held until the delivery
 * times out). Every job's event is delivered in the end, and gets exactly one 2xx.
 */
const maybe = chaosFull ? it : it.skip;
const upMs = 15_000;
const downMs = 25_000;
const loadMs = 200_000;

maybe(
  'delivers every event exactly once (one 2xx each) to a receiver flapping for minutes',
  async () => {
    const startedAt = Date.now();
    const isUp = () => (Date.now() - startedAt) % (upMs + downMs) < upMs;
    const receiver = await startCountingReceiver((index) => {
      if (isUp()) return { status: index % 2 === 0 ? 200 : 204 };
      if (index % 10 === 0) return 'hold';
      return { status: index % 3 === 0 ? 500 : 503 };
    });
    const system = await startSystem({
      workers: 2,
      env: { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
      workerEnv: {
        WEBHOOK_TIMEOUT_MS: '2000',
        // Enough retries, spread far enough, to outlast a 25 s outage.
        WEBHOOK_RETRY_DELAYS_MS: '1000,2000,4000,8000,15000,30000,30000',
      },
      simulatorModels: { 'sim-gpt-fast': { latencyMs: 20 } },
    });
    try {
      const webhookUrl = receiver.url;
      const submitted = await pacedSubmit({
        apiUrl: system.apiUrl,
        rate: 2,
        durationMs: loadMs,
        body: (index) => ({
          model: 'sim-gpt-fast',
          prompt: `flapping ${index}`,
          max_tokens: 8,
          webhook: { url: webhookUrl },
        }),
      });
      const counts = await drainAndTally(system.redis, system.prefix, submitted.accepted, 60_000);
      const webhooks = await waitFor(
        () => {
          const tally = receiver.tally(submitted.accepted);
          return tally.undelivered === 0 ? tally : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 1000, what: 'every webhook' },
      ).catch(() => receiver.tally(submitted.accepted));
      // Nothing more may arrive once every event got its 2xx.
      const requestsThen = receiver.received.length;
      await new Promise((resolve) => setTimeout(resolve, 5000));
      const lateRequests = receiver.received.length - requestsThen;
      const problems: string[] = [];
      if (counts.lost > 0) problems.push(`${counts.lost} lost`);
      if (webhooks.undelivered > 0) problems.push(`${webhooks.undelivered} events undelivered`);
      if (webhooks.deliveredTwice > 0)
        problems.push(`${webhooks.deliveredTwice} events got more than one 2xx`);
      if (webhooks.unstableIds > 0) problems.push(`${webhooks.unstableIds} webhook-ids changed`);
      if (lateRequests > 0) problems.push(`${lateRequests} requests after every event succeeded`);
      report({
        scenario: '5-webhook-flapping',
        counts,
        details: {
          flappingForMs: Date.now() - startedAt,
          upMs,
          downMs,
          webhooks,
          requestsPerEvent: Number((webhooks.requests / Math.max(1, counts.accepted)).toFixed(2)),
        },
        problems,
      });
      expect(problems).toEqual([]);
    } finally {
      await system.stop();
      await receiver.close();
    }
  },
  600_000,
);
