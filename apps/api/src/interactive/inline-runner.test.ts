import { createLogger, createMetrics, createTracing } from '@llmq/core';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { loadApiEnv, readDeploymentKeys } from '../env';
import { InlineRunner } from './inline-runner';

let prefix: string;
let runner: InlineRunner;

beforeEach(() => {
  prefix = uniquePrefix('test-inline-runner');
  const env = loadApiEnv({ REDIS_URL: testRedisUrl(), LLMQ_PREFIX: prefix });
  runner = new InlineRunner({
    concurrency: 2,
    env,
    readDeploymentKeys,
    lockDurationMs: 30_000,
    logger: createLogger({ service: 'api', level: 'error' }),
    metrics: createMetrics({ defaultMetrics: false }),
    tracing: createTracing({ serviceName: 'llmq-api' }),
  });
});
afterEach(async () => {
  await runner.close(0);
  const redis = new Redis(testRedisUrl());
  await cleanupPrefix(redis, prefix);
  await redis.quit();
});

describe('InlineRunner slots', () => {
  it('gives out at most its concurrency of takes, and a released one again', () => {
    expect(runner.claim()).toBeDefined();
    expect(runner.claim()).toBeDefined();
    expect(runner.claim()).toBeUndefined();
    runner.release();
    expect(runner.claim()).toBeDefined();
    expect(runner.running).toBe(2);
  });

  it('waits on close for a take still in its accept, not only for the runs already started', async () => {
    // A request claimed a slot and its accept is in flight (the job may be taken and run in a
    // moment) when the API is told to stop: the runner must not report drained and let go of
    // its worker and Redis under it, or the job is cut off and waits for its lock to lapse.
    expect(runner.claim()).toBeDefined();
    let settled: string | undefined;
    const closed = runner.close(5_000).then((outcome) => {
      settled = outcome;
      return outcome;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBeUndefined();
    expect(runner.claim()).toBeUndefined();
    runner.release();
    await expect(closed).resolves.toBe('drained');
  });

  it('reports forced when a take is not given back before the timeout', async () => {
    expect(runner.claim()).toBeDefined();
    await expect(runner.close(50)).resolves.toBe('forced');
  });
});
