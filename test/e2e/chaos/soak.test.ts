import { freePort, startPrivateRedis, testEnv } from '@llmq/testing';
import { startSystem } from '../system-harness';
import { chaosFull, drainAndTally, report } from './chaos-ledger';
import { pacedSubmit, rssMb, slopePerMinute } from './chaos-load';

/**
 * Chaos scenario 6 (`npm run chaos` only): a soak of `CHAOS_SOAK_MINUTES` (default 10) at a
 * fixed 40 jobs/s on a private Redis. API and worker RSS and Redis `used_memory` are sampled
 * every 10 s; over the second half each must plateau (least-squares slope under a bound).
 * Results are kept 120 s here so Redis reaches its steady state within the run; with the
 * default RESULT_TTL_SECONDS (a day) Redis memory grows with the jobs kept, by design.
 */
const maybe = chaosFull ? it : it.skip;
const minutes = testEnv().CHAOS_SOAK_MINUTES;
const rate = 40;
/** Bounds on the second-half slope, MB per minute. */
const maxRssSlope = 2;
const maxRedisSlope = 0.5;

maybe(
  `keeps API and worker RSS and Redis memory flat through ${minutes} minutes at ${rate} jobs/s`,
  async () => {
    const redis = await startPrivateRedis('everysec');
    const metricsToken = 'soak-metrics-token-0001';
    const system = await startSystem({
      redisUrl: redis.url,
      workers: 0,
      env: {
        RESULT_TTL_SECONDS: '120',
        JOB_EVENTS_TTL_SECONDS: '120',
        METRICS_TOKEN: metricsToken,
      },
      workerEnv: { WORKER_CONCURRENCY: '50' },
      simulatorModels: { 'sim-gpt-fast': { latencyMs: 100 } },
    });
    // Fixed metrics ports, so the V8 heap (prom-client's default metrics) can be sampled too:
    // RSS growth with a flat heap is V8 and the allocator settling, not a leak.
    const workerMetrics = [await freePort(), await freePort()];
    for (const port of workerMetrics) system.startWorker({ WORKER_METRICS_PORT: String(port) });
    const heapMb = async (url: string): Promise<number> => {
      const response = await fetch(url, {
        headers: { Authorization: `Bearer ${metricsToken}` },
        signal: AbortSignal.timeout(5000),
      });
      const text = await response.text();
      return Number(/^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1] ?? 0) / 2 ** 20;
    };
    type Sample = {
      minute: number;
      api: number;
      workers: number[];
      redisMb: number;
      apiHeap: number;
      workerHeaps: number[];
    };
    const samples: Sample[] = [];
    const startedAt = Date.now();
    const sample = async () => {
      const info = await system.redis.info('memory');
      const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 2 ** 20;
      const [apiHeap, ...workerHeaps] = await Promise.all(
        [
          `${system.apiUrl}/metrics`,
          ...workerMetrics.map((port) => `http://127.0.0.1:${port}/metrics`),
        ].map((url) => heapMb(url).catch(() => 0)),
      );
      samples.push({
        apiHeap: apiHeap ?? 0,
        workerHeaps,
        minute: (Date.now() - startedAt) / 60_000,
        api: rssMb(system.api.child.pid) ?? 0,
        workers: system.workers.map((worker) => rssMb(worker.child.pid) ?? 0),
        redisMb: used,
      });
    };
    const sampler = setInterval(() => void sample().catch(() => undefined), 10_000);
    try {
      const submitted = await pacedSubmit({
        apiUrl: system.apiUrl,
        rate,
        durationMs: minutes * 60_000,
        body: (index) => ({ model: 'sim-gpt-fast', prompt: `soak ${index}`, max_tokens: 16 }),
      });
      clearInterval(sampler);
      await sample();
      // Jobs are kept 120 s: count them before the earliest expire.
      const counts = await drainAndTally(
        system.redis,
        system.prefix,
        submitted.accepted.slice(-2000),
        60_000,
      );
      const secondHalf = samples.filter((point) => point.minute >= minutes / 2);
      const slope = (pick: (point: Sample) => number) =>
        Number(
          slopePerMinute(
            secondHalf.map((point) => ({ minute: point.minute, value: pick(point) })),
          ).toFixed(3),
        );
      const slopes = {
        apiRssMbPerMin: slope((point) => point.api),
        worker1RssMbPerMin: slope((point) => point.workers[0] ?? 0),
        worker2RssMbPerMin: slope((point) => point.workers[1] ?? 0),
        redisUsedMemoryMbPerMin: slope((point) => point.redisMb),
      };
      const heapSlopes = {
        apiHeapMbPerMin: slope((point) => point.apiHeap),
        worker1HeapMbPerMin: slope((point) => point.workerHeaps[0] ?? 0),
        worker2HeapMbPerMin: slope((point) => point.workerHeaps[1] ?? 0),
      };
      const last = samples.at(-1);
      const problems: string[] = [];
      for (const [name, value] of Object.entries(slopes)) {
        const bound = name.startsWith('redis') ? maxRedisSlope : maxRssSlope;
        if (value > bound) problems.push(`${name} ${value} > ${bound}`);
      }
      if (counts.lost > 0) problems.push(`${counts.lost} of the last jobs not finished`);
      if (counts.failed > 0) problems.push(`${counts.failed} failed`);
      const rejectedCount = Object.values(submitted.rejected).reduce((sum, n) => sum + n, 0);
      if (rejectedCount > 0) problems.push(`${rejectedCount} submits refused`);
      report({
        scenario: '6-soak',
        counts,
        details: {
          minutes,
          rate,
          secondHalfSlopes: slopes,
          secondHalfHeapSlopes: heapSlopes,
          end: last && {
            apiRssMb: Math.round(last.api),
            workerRssMb: last.workers.map(Math.round),
            redisUsedMemoryMb: Number(last.redisMb.toFixed(1)),
            apiHeapMb: Math.round(last.apiHeap),
            workerHeapMb: last.workerHeaps.map(Math.round),
          },
          peak: {
            apiRssMb: Math.round(Math.max(...samples.map((point) => point.api))),
            redisUsedMemoryMb: Number(
              Math.max(...samples.map((point) => point.redisMb)).toFixed(1),
            ),
          },
          totalAccepted: submitted.accepted.length,
          // Why submits were refused (status and code, or the network error), counted.
          rejected: submitted.rejected,
          countsCover: 'the last 2,000 jobs (earlier ones expired by design after 120 s)',
        },
        problems,
      });
      expect(problems).toEqual([]);
    } finally {
      clearInterval(sampler);
      await system.stop();
      await redis.destroy();
    }
  },
  (minutes + 5) * 60_000,
);
