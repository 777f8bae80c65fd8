import { cleanupPrefix, defined, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { ModelCatalog, type ModelEntryInput } from '../catalog/model-catalog';
import { deploymentsOf } from '../catalog/model-deployments';
import { ProviderRateLimiter } from '../limits/provider-rate-limiter';
import { RedisKeys } from '../redis/redis-keys';
import { CircuitBreaker } from '../resilience/circuit-breaker';
import { DeploymentPicker } from './deployment-picker';

/** The picker over real Redis: the state one worker leaves is what another worker's pick reads. */
let redis: Redis;
let keys: RedisKeys;

const model = (
  id: string,
  strategy: ModelEntryInput['deployment_strategy'],
  deployments: ModelEntryInput['deployments'],
): ModelEntryInput => ({
  id,
  provider: 'simulator-openai',
  upstream_model: 'sim-gpt-fast',
  tier: 'fast',
  context_window: 100_000,
  max_output_tokens: 1000,
  pricing: { input: 1, output: 1, cached_input: 1 },
  expected_latency_ms: 100,
  ...(strategy ? { deployment_strategy: strategy } : {}),
  ...(deployments ? { deployments } : {}),
});
const catalog = new ModelCatalog([
  model('busy', 'least-busy', [{ id: 'a' }, { id: 'b' }]),
  model('quick', 'lowest-latency', [{ id: 'a' }, { id: 'b' }]),
  model('roomy', 'most-headroom', [
    { id: 'a', rate_limits: { rpm: 10 } },
    { id: 'b', rate_limits: { rpm: 10 } },
  ]),
  model('single', undefined, undefined),
]);
const entry = (id: string) => defined(catalog.resolve(id), 'catalog.resolve(id)');
const ids = (list: { id: string | undefined }[]) => list.map((item) => item.id);

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-deployment-picker'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

/** Waits until background writes on `connection` have landed (commands run in order). */
const settled = (connection: Redis) => connection.ping();

describe('DeploymentPicker over Redis', () => {
  it('least-busy: another worker sees calls in flight, and their end', async () => {
    const one = new DeploymentPicker(redis, keys);
    const otherConnection = new Redis(testRedisUrl());
    try {
      const other = new DeploymentPicker(otherConnection, keys);
      const [a] = deploymentsOf(entry('busy'));
      const ends = [
        one.track(entry('busy'), defined(a, 'a')),
        one.track(entry('busy'), defined(a, 'a')),
      ];
      await settled(redis);
      expect(ids(await other.order(entry('busy')))).toEqual(['b', 'a']);
      for (const end of ends) end(50);
      await settled(redis);
      const states = await other.read(entry('busy'), deploymentsOf(entry('busy')));
      expect(states.map((state) => state.inFlight)).toEqual([0, 0]);
    } finally {
      await otherConnection.quit();
    }
  });

  it('lowest-latency: keeps a moving average per deployment and prefers the lowest', async () => {
    const picker = new DeploymentPicker(redis, keys, { latencyAlpha: 0.5 });
    const [a, b] = deploymentsOf(entry('quick'));
    picker.track(entry('quick'), defined(a, 'a'))(100);
    picker.track(entry('quick'), defined(a, 'a'))(300);
    picker.track(entry('quick'), defined(b, 'b'))(150);
    // A failed call says nothing about latency.
    picker.track(entry('quick'), defined(b, 'b'))(undefined);
    await settled(redis);
    const states = await picker.read(entry('quick'), deploymentsOf(entry('quick')));
    expect(states.map((state) => state.latencyMs)).toEqual([200, 150]);
    expect(ids(await picker.order(entry('quick')))).toEqual(['b', 'a']);
  });

  it('most-headroom: reads each deployment’s rate window as the limiter filled it', async () => {
    const limiter = new ProviderRateLimiter(redis, keys, catalog);
    const [a] = deploymentsOf(entry('roomy'));
    for (let index = 0; index < 3; index += 1) {
      expect((await limiter.reserve(entry('roomy'), 10, defined(a, 'a'))).ok).toBe(true);
    }
    const picker = new DeploymentPicker(redis, keys);
    const states = await picker.read(entry('roomy'), deploymentsOf(entry('roomy')));
    expect(states.map((state) => state.requestsUsed)).toEqual([3, 0]);
    expect(ids(await picker.order(entry('roomy')))).toEqual(['b', 'a']);
  });

  it('puts a paused deployment and one with an open circuit last', async () => {
    const limiter = new ProviderRateLimiter(redis, keys, catalog);
    const breaker = new CircuitBreaker(redis, keys, { consecutiveFailures: 1 });
    const [a, b] = deploymentsOf(entry('busy'));
    const picker = new DeploymentPicker(redis, keys);
    // b is less busy, but paused by a 429.
    picker.track(entry('busy'), defined(a, 'a'));
    await settled(redis);
    await limiter.pause(entry('busy'), 10_000, 'retry_after', defined(b, 'b'));
    expect(ids(await picker.order(entry('busy')))).toEqual(['a', 'b']);
    await breaker.record(defined(a, 'a').account, defined(a, 'a').stateModel, 'failure', false);
    const states = await picker.read(entry('busy'), deploymentsOf(entry('busy')));
    expect(states.map((state) => state.unhealthy)).toEqual([true, true]);
  });

  it('costs no Redis round trip for one deployment, nor for weighted picks', async () => {
    // A connection that refuses every command: any round trip would be reported as an error.
    const offline = new Redis(testRedisUrl(), { lazyConnect: true, enableOfflineQueue: false });
    const errors: unknown[] = [];
    try {
      const picker = new DeploymentPicker(offline, keys, {}, (error) => errors.push(error));
      const order = await picker.order(entry('single'));
      expect(ids(order)).toEqual([undefined]);
      picker.track(entry('single'), defined(order[0], 'order[0]'))(10);
      const weighted = new ModelCatalog([model('w', 'weighted', [{ id: 'a' }, { id: 'b' }])]);
      const spread = defined(weighted.resolve('w'), 'weighted.resolve(w)');
      const drawn = await picker.order(spread);
      expect(ids(drawn).sort()).toEqual(['a', 'b']);
      picker.track(spread, defined(drawn[0], 'drawn[0]'))(10);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(errors).toEqual([]);
      // The same connection does fail a strategy that reads state: the check can fail.
      await picker.order(entry('busy'));
      expect(errors).toHaveLength(1);
    } finally {
      offline.disconnect();
    }
  });
});
