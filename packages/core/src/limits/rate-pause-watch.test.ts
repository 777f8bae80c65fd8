import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { ModelCatalog, type ModelEntry } from '../catalog/model-catalog';
import { ProviderError } from '../providers/provider-error';
import { RedisKeys } from '../redis/redis-keys';
import { ProviderRateLimiter } from './provider-rate-limiter';
import { RatePauseWatch } from './rate-pause-watch';

let connections: Redis[];
let watches: RatePauseWatch[];
let keys: RedisKeys;

beforeEach(() => {
  connections = [];
  watches = [];
  keys = new RedisKeys(uniquePrefix('test-pause-watch'));
});
afterEach(async () => {
  await Promise.all(watches.map((watch) => watch.close()));
  await cleanupPrefix(connections[0] as Redis, keys.prefix);
  await Promise.all(connections.map((connection) => connection.quit()));
});

const catalog = new ModelCatalog([
  {
    id: 'm',
    provider: 'simulator-openai',
    upstream_model: 'm',
    tier: 'fast',
    context_window: 100_000,
    max_output_tokens: 1000,
    pricing: { input: 1, output: 1, cached_input: 1 },
    expected_latency_ms: 100,
  },
]);
const entry = catalog.resolve('m') as ModelEntry;

/** One worker process: its connection, its pause watch on a connection of its own, its limiter. */
async function worker() {
  const redis = new Redis(testRedisUrl());
  const subscriber = new Redis(testRedisUrl());
  const watch = new RatePauseWatch(subscriber, keys.ratePauseChannel());
  connections.push(redis);
  watches.push(watch);
  const limiter = new ProviderRateLimiter(redis, keys, catalog, { pauseWatch: watch });
  // Counts the scripts this worker sends (EVALSHA, or EVAL after NOSCRIPT).
  const counted = { scripts: 0 };
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = ((command: Parameters<typeof send>[0]) => {
    if (command.name === 'evalsha' || command.name === 'eval') counted.scripts += 1;
    return send(command);
  }) as typeof redis.sendCommand;
  await waitFor(() => watch.listening);
  return { limiter, watch, subscriber, counted };
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const tooManyRequests = (retryAfterMs: number) =>
  new ProviderError({
    code: 'rate_limited',
    message: 'slow down',
    provider: 'simulator-openai',
    statusCode: 429,
    retryAfterMs,
  });

describe('RatePauseWatch', () => {
  it('lets a model without limits skip the pause read once it read it clear', async () => {
    const { limiter, counted } = await worker();
    expect(await limiter.reserve(entry, 5)).toMatchObject({ ok: true });
    expect(counted.scripts).toBe(1);
    expect(await limiter.reserve(entry, 5)).toMatchObject({ ok: true });
    expect(await limiter.reserve(entry, 5)).toMatchObject({ ok: true });
    expect(counted.scripts).toBe(1);
  });

  it("hears another worker's pause and reads the flag again until it ends", async () => {
    const first = await worker();
    const second = await worker();
    expect(await second.limiter.reserve(entry, 5)).toMatchObject({ ok: true });
    const scriptsBefore = second.counted.scripts;
    const call = await first.limiter.admit(entry, 5);
    if (!call.admitted) throw new Error('refused');
    await call.settle({ ok: false, error: tooManyRequests(5_000) });
    const flag = keys.ratePause('simulator-openai', 'm');
    await waitFor(() => !second.watch.knownClear(flag));
    const refused = await second.limiter.reserve(entry, 5);
    expect(refused).toMatchObject({ ok: false, reason: 'retry_after' });
    expect(second.counted.scripts).toBe(scriptsBefore + 1);
  });

  it("refuses the pausing worker's own next call at once", async () => {
    const { limiter } = await worker();
    expect(await limiter.reserve(entry, 5)).toMatchObject({ ok: true });
    const call = await limiter.admit(entry, 5);
    if (!call.admitted) throw new Error('refused');
    await call.settle({ ok: false, error: tooManyRequests(5_000) });
    expect(await limiter.reserve(entry, 5)).toMatchObject({ ok: false, reason: 'retry_after' });
  });

  it('trusts no earlier read once its subscription dropped', async () => {
    const { watch, subscriber } = await worker();
    const flag = keys.ratePause('simulator-openai', 'm');
    watch.reading(flag)(true);
    expect(watch.knownClear(flag)).toBe(true);
    const answered = watch.reading(flag);
    subscriber.disconnect(true);
    await waitFor(() => !watch.listening);
    answered(true);
    expect(watch.knownClear(flag)).toBe(false);
    // Subscribed again, a fresh read is trusted again.
    await waitFor(() => watch.listening);
    watch.reading(flag)(true);
    expect(watch.knownClear(flag)).toBe(true);
  });
});
