import { startPrivateRedis, waitFor } from '@llmq/testing';
import { apiKey, startSystem } from '../system-harness';
import { chaosFull, drainAndTally, report } from './chaos-ledger';
import { pacedSubmit } from './chaos-load';
import { startCountingReceiver } from './webhook-tally';

/**
 * Chaos scenario 2: the scenario's own redis-server (AOF on) is SIGKILLed mid-run and started
 * again a few seconds later, while jobs keep arriving. While it is down the API answers 503
 * `redis_unavailable` (submits and /readyz); nothing crashes; API, workers and the webhook relay
 * reconnect by themselves. With `appendfsync always` every 202 completes; with `everysec` the
 * jobs accepted in the last second before the crash may be lost, and the run reports how many.
 */
const rate = chaosFull ? 100 : 50;
const runMs = chaosFull ? 30_000 : 8_000;
const downMs = chaosFull ? 5_000 : 3_000;

/** `status code` of one request, e.g. `503 redis_unavailable`, with how long it took. */
async function probe(url: string, init: RequestInit = {}): Promise<string> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    const body = (await response.json().catch(() => ({}))) as { error?: { code?: string } };
    return `${response.status} ${body.error?.code ?? ''}`.trim();
  } catch {
    return 'network error';
  }
}

describe.each(chaosFull ? (['always', 'everysec'] as const) : (['always'] as const))(
  'Redis restarted with appendfsync %s',
  (policy) => {
    it(
      policy === 'always'
        ? 'answers 503 redis_unavailable while Redis is down, and completes every accepted job'
        : 'answers 503 while Redis is down and reports the accepted jobs an everysec crash lost',
      async () => {
        const redis = await startPrivateRedis(policy);
        const receiver = await startCountingReceiver();
        const system = await startSystem({
          redisUrl: redis.url,
          workers: 2,
          env: { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
          workerEnv: {
            WORKER_CONCURRENCY: '50',
            LOCK_DURATION_MS: '5000',
            STALLED_INTERVAL_MS: '2000',
            WEBHOOK_RELAY_CLAIM_IDLE_MS: '2000',
            WEBHOOK_RETRY_DELAYS_MS: '200,500,1000,2000,4000',
          },
          simulatorModels: { 'sim-gpt-fast': { latencyMs: 100 } },
        });
        try {
          const webhookUrl = receiver.url;
          const load = pacedSubmit({
            apiUrl: system.apiUrl,
            rate,
            durationMs: runMs,
            body: (index) => ({
              model: 'sim-gpt-fast',
              prompt: `redis restart ${policy} ${index}`,
              max_tokens: 8,
              webhook: { url: webhookUrl },
            }),
          });
          await new Promise((resolve) => setTimeout(resolve, runMs / 3));
          await redis.crash();
          const downAt = Date.now();
          // Every kind of route is asked while Redis is down: each must answer 503, fast.
          const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
          const jobId = (await load.peek())[0] ?? 'job_00000000000000000000000000000000';
          const routes: Array<[string, RequestInit]> = [
            ['/readyz', {}],
            [`/v1/jobs/${jobId}`, { headers }],
            ['/v1/webhook-secret', { headers }],
            [
              '/v1/chat/completions',
              {
                method: 'POST',
                headers,
                body: JSON.stringify({
                  model: 'sim-gpt-fast',
                  messages: [{ role: 'user', content: 'down?' }],
                }),
              },
            ],
          ];
          const whileDown: Record<string, Record<string, number>> = {};
          let slowestMs = 0;
          while (Date.now() - downAt < downMs) {
            for (const [path, init] of routes) {
              const startedAt = Date.now();
              const answer = await probe(`${system.apiUrl}${path}`, init);
              slowestMs = Math.max(slowestMs, Date.now() - startedAt);
              const route = path.split('?')[0]?.replace(jobId, ':id') ?? path;
              whileDown[route] ??= {};
              const seen = whileDown[route];
              seen[answer] = (seen[answer] ?? 0) + 1;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          await redis.restart();
          const recoveredInMs = await waitFor(
            async () =>
              (await probe(`${system.apiUrl}/readyz`)) === '200' ? Date.now() : undefined,
            { timeoutMs: 30_000, intervalMs: 100, what: 'the API to be ready again' },
          ).then((at) => at - downAt - downMs);
          const submitted = await load;
          const counts = await drainAndTally(
            system.redis,
            system.prefix,
            submitted.accepted,
            chaosFull ? 120_000 : 60_000,
          );
          // Jobs an everysec crash lost never end, so they send no webhook: wait only for the rest.
          const webhooks = await waitFor(
            () => {
              const tally = receiver.tally(submitted.accepted);
              return tally.undelivered <= counts.lost ? tally : undefined;
            },
            { timeoutMs: 60_000, intervalMs: 500, what: 'the webhooks of the finished jobs' },
          ).catch(() => receiver.tally(submitted.accepted));

          const problems: string[] = [];
          const crashed = [system.api, ...system.workers]
            .filter(
              (service) => service.child.exitCode !== null || service.child.signalCode !== null,
            )
            .map((service) => service.output().slice(-400));
          if (crashed.length > 0) problems.push(`${crashed.length} processes exited: ${crashed}`);
          // A submit the load generator gave up on (15 s, a loaded machine) got no 202, so it
          // is no loss: reported in the details, not a fault. Any answer but a 503 is a fault.
          const badAnswers = Object.keys(submitted.rejected).filter(
            (key) => key !== '503 redis_unavailable' && !key.startsWith('network error'),
          );
          if (badAnswers.length > 0) problems.push(`submits answered ${badAnswers.join(', ')}`);
          if (!submitted.rejected['503 redis_unavailable'])
            problems.push('no submit was answered 503 redis_unavailable while Redis was down');
          for (const [route, answers] of Object.entries(whileDown)) {
            const bad = Object.keys(answers).filter((key) => key !== '503 redis_unavailable');
            if (bad.length > 0)
              problems.push(`${route} answered ${bad.join(', ')} while Redis was down`);
          }
          if (policy === 'always' && counts.lost > 0)
            problems.push(`${counts.lost} accepted jobs lost`);
          if (counts.completedTwice > 0) problems.push(`${counts.completedTwice} written twice`);
          if (counts.failedUnclear > 0)
            problems.push(`${counts.failedUnclear} failed without a code`);
          if (webhooks.undelivered > counts.lost)
            problems.push(
              `${webhooks.undelivered - counts.lost} webhooks of finished jobs undelivered`,
            );
          if (webhooks.unstableIds > 0)
            problems.push(`${webhooks.unstableIds} webhook-ids changed`);
          report({
            scenario: `2-redis-restart-${policy}`,
            counts,
            details: {
              redisDownMs: downMs,
              apiReadyAgainAfterRestartMs: recoveredInMs,
              submitsRejected: submitted.rejected,
              answersWhileDown: whileDown,
              slowestAnswerWhileDownMs: slowestMs,
              webhooks,
            },
            problems,
            lossAllowed: policy === 'everysec',
          });
          expect(problems).toEqual([]);
        } finally {
          await system.stop();
          await receiver.close();
          await redis.destroy();
        }
      },
      chaosFull ? 600_000 : 180_000,
    );
  },
);
