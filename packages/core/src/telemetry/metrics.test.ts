import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { createQueue } from '../jobs/create-queue';
import { createRedisConnection } from '../redis/redis-connection';
import { RedisKeys } from '../redis/redis-keys';
import { createMetrics } from './metrics';
import { metricsScrapeAllowed } from './metrics-access';

describe('createMetrics', () => {
  it('names every metric once, per Prometheus conventions', () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const names = metrics.registry.getMetricsAsArray().map((metric) => metric.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^(llm|http)_[a-z_]+$/);
    expect(names).toEqual(
      expect.arrayContaining([
        'llm_requests_total',
        'llm_latency_seconds',
        'llm_tokens_total',
        'llm_cost_dollars',
        'llm_cache_hits_total',
        'llm_queue_length',
        'http_request_duration_seconds',
      ]),
    );
  });

  it('keeps registries apart, so two processes (or tests) never share counts', async () => {
    const first = createMetrics({ defaultMetrics: false });
    const second = createMetrics({ defaultMetrics: false });
    first.llmRequests.inc({ model: 'm', status: 'success' });
    expect((await second.llmRequests.get()).values).toEqual([]);
  });

  it('uses the seed latency buckets', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.llmLatency.observe({ model: 'm' }, 3);
    const text = await metrics.registry.getSingleMetricAsString('llm_latency_seconds');
    const buckets = [...text.matchAll(/le="([^"]+)"/g)].map((match) => match[1]);
    expect(buckets).toEqual(['0.1', '0.5', '1', '2', '5', '10', '30', '+Inf']);
  });
});

describe('scrape-time gauges on a real Redis', () => {
  const keys = new RedisKeys(uniquePrefix('test-metrics'));
  const connection = createRedisConnection({ url: testRedisUrl(), role: 'client' });
  const queue = createQueue('prompt', connection, keys);

  afterAll(async () => {
    await queue.close();
    await cleanupPrefix(connection, keys.prefix);
    await connection.quit();
  });

  it('reads llm_queue_length per state from BullMQ job counts', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.watchQueues(queue);
    await queue.add('prompt', {}, { priority: 3 });
    await queue.add('prompt', {}, { priority: 3 });
    await queue.add('prompt', {}, { delay: 60_000 });
    await queue.add('prompt', {});
    const { values } = await metrics.queueLength.get();
    const state = (name: string) =>
      values.find((value) => value.labels.state === name && value.labels.queue === queue.name)
        ?.value;
    expect(state('prioritized')).toBe(2);
    expect(state('delayed')).toBe(1);
    expect(state('waiting')).toBe(1);
    expect(state('completed')).toBe(0);
  });

  it('reads Redis memory use and its limit', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.watchRedis(connection);
    expect((await metrics.redisMemoryUsed.get()).values[0]?.value).toBeGreaterThan(0);
    expect((await metrics.redisMemoryMax.get()).values[0]?.value).toBeGreaterThanOrEqual(0);
  });

  it('still answers a scrape when a source fails, keeping the last values', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let fail = false;
    metrics.watchQueues({
      name: 'flaky',
      getJobCounts: () => (fail ? Promise.reject(new Error('down')) : queue.getJobCounts()),
    });
    await metrics.registry.metrics();
    fail = true;
    const text = await metrics.registry.metrics();
    expect(text).toContain('llm_queue_length{queue="flaky",state="prioritized"} 2');
  });
});

describe('metricsScrapeAllowed', () => {
  const token = 'metrics-token-0123456789';
  it('accepts only the configured bearer token', () => {
    expect(metricsScrapeAllowed(`Bearer ${token}`, token)).toBe(true);
    expect(metricsScrapeAllowed(`bearer  ${token}`, token)).toBe(true);
    expect(metricsScrapeAllowed(undefined, token)).toBe(false);
    expect(metricsScrapeAllowed(`Bearer ${token}x`, token)).toBe(false);
    expect(metricsScrapeAllowed(`Basic ${token}`, token)).toBe(false);
  });
  it('is open when no token is configured (internal port)', () => {
    expect(metricsScrapeAllowed(undefined, undefined)).toBe(true);
  });
});
