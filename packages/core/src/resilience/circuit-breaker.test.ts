import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { RedisKeys } from '../redis/redis-keys';
import { CircuitBreaker, type CircuitTransition } from './circuit-breaker';

let redis: Redis;
let keys: RedisKeys;
const options = {
  consecutiveFailures: 3,
  failureRatio: 0.5,
  minimumRequests: 10,
  windowMs: 10_000,
  cooldownMs: 5_000,
  halfOpenProbes: 1,
  probeTimeoutMs: 20_000,
};

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-circuit'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

describe('circuit breaker (shared in Redis, fake clock)', () => {
  it('opens after N consecutive failures, refuses during the cooldown, then lets one probe through', async () => {
    const transitions: CircuitTransition[] = [];
    const breaker = new CircuitBreaker(redis, keys, options, (change) => transitions.push(change));
    // A second breaker on its own connection plays another worker process.
    const otherConnection = new Redis(testRedisUrl());
    const other = new CircuitBreaker(otherConnection, keys, options);
    try {
      let now = 1_000_000;
      await breaker.record('p', 'm', 'failure', false, now);
      await breaker.record('p', 'm', 'success', false, now);
      await breaker.record('p', 'm', 'failure', false, now);
      await breaker.record('p', 'm', 'failure', false, now);
      expect(await other.acquire('p', 'm', now)).toEqual({ allowed: true, probe: false });
      expect(await other.record('p', 'm', 'failure', false, now)).toBe('open');
      expect(await breaker.acquire('p', 'm', now + 4_999)).toEqual({
        allowed: false,
        state: 'open',
        retryAt: now + 5_000,
      });
      now += 5_000;
      expect(await breaker.acquire('p', 'm', now)).toEqual({ allowed: true, probe: true });
      // Only one probe at a time, whichever worker asks.
      expect(await other.acquire('p', 'm', now + 1)).toMatchObject({
        allowed: false,
        state: 'half_open',
      });
      expect(await breaker.record('p', 'm', 'success', true, now + 10)).toBe('closed');
      expect(await other.acquire('p', 'm', now + 11)).toEqual({ allowed: true, probe: false });
      expect(transitions.map((change) => `${change.from}>${change.to}`)).toEqual([
        'open>half_open',
        'half_open>closed',
      ]);
      const [state] = await other.getCircuitStates();
      expect(state).toMatchObject({ provider: 'p', model: 'm', state: 'closed', timesOpened: 1 });
    } finally {
      await otherConnection.quit();
    }
  });

  it('opens on the failure ratio once the window holds the minimum number of calls', async () => {
    const breaker = new CircuitBreaker(redis, keys, { ...options, consecutiveFailures: 100 });
    const now = 2_000_000;
    // Alternating outcomes, never 3 failures in a row: 5 of 9 fail, but 9 < the minimum of 10.
    for (let index = 0; index < 9; index += 1) {
      const state = await breaker.record(
        'p',
        'm',
        index % 2 === 0 ? 'failure' : 'success',
        false,
        now + index,
      );
      expect(state).toBe('closed');
    }
    // The 10th call reaches the minimum with 6/10 failures ≥ 0.5.
    expect(await breaker.record('p', 'm', 'failure', false, now + 9)).toBe('open');
    const [snapshot] = await breaker.getCircuitStates();
    expect(snapshot).toMatchObject({ state: 'open', openUntil: now + 9 + options.cooldownMs });
  });

  it('resets the window after windowMs so old failures do not count', async () => {
    const breaker = new CircuitBreaker(redis, keys, { ...options, consecutiveFailures: 100 });
    const now = 3_000_000;
    for (let index = 0; index < 9; index += 1)
      await breaker.record('p', 'm', 'failure', false, now);
    const later = now + options.windowMs;
    expect(await breaker.record('p', 'm', 'failure', false, later)).toBe('closed');
    const [snapshot] = await breaker.getCircuitStates();
    expect(snapshot).toMatchObject({ windowRequests: 1, windowFailures: 1 });
  });

  it('reopens when the half-open probe fails, and frees a probe slot whose worker vanished', async () => {
    const breaker = new CircuitBreaker(redis, keys, options);
    let now = 4_000_000;
    for (let index = 0; index < 3; index += 1)
      await breaker.record('p', 'm', 'failure', false, now);
    now += options.cooldownMs;
    expect(await breaker.acquire('p', 'm', now)).toEqual({ allowed: true, probe: true });
    expect(await breaker.record('p', 'm', 'failure', true, now + 1)).toBe('open');
    now += 1 + options.cooldownMs;
    expect(await breaker.acquire('p', 'm', now)).toEqual({ allowed: true, probe: true });
    // The prober never reports back; after probeTimeoutMs another worker may probe.
    expect(await breaker.acquire('p', 'm', now + 1)).toMatchObject({ allowed: false });
    expect(await breaker.acquire('p', 'm', now + options.probeTimeoutMs)).toEqual({
      allowed: true,
      probe: true,
    });
    const [snapshot] = await breaker.getCircuitStates();
    expect(snapshot).toMatchObject({ state: 'half_open', timesOpened: 2 });
  });
});

describe('a hold flag read with the acquire (a rate pause)', () => {
  it('refuses as held while the flag is set, taking nothing, and lets the call through once it is gone', async () => {
    const breaker = new CircuitBreaker(redis, keys, options);
    const flag = keys.ratePause('p', 'm');
    let now = 5_000_000;
    for (let index = 0; index < 3; index += 1)
      await breaker.record('p', 'm', 'failure', false, now);
    now += options.cooldownMs;
    await redis.set(flag, 'retry_after', 'PX', 10_000);
    const held = await breaker.acquire('p', 'm', now, flag);
    expect(held).toMatchObject({ allowed: false, state: 'held', holdValue: 'retry_after' });
    if (!held.allowed && held.state === 'held') {
      expect(held.waitMs).toBeGreaterThan(9_000);
      expect(held.waitMs).toBeLessThanOrEqual(10_000);
    }
    // Nothing was taken: the circuit is still open, its probe slot free.
    const [snapshot] = await breaker.getCircuitStates();
    expect(snapshot).toMatchObject({ state: 'open' });
    await redis.del(flag);
    expect(await breaker.acquire('p', 'm', now, flag)).toEqual({ allowed: true, probe: true });
  });
});

describe('a success recorded in the background', () => {
  it("lands before the same connection's next report, and a failed write goes to the error hook", async () => {
    const breaker = new CircuitBreaker(redis, keys, options);
    const now = 1_000_000;
    await breaker.record('p', 'm', 'failure', false, now);
    await breaker.record('p', 'm', 'failure', false, now);
    breaker.recordSuccessInBackground('p', 'm', now);
    // Two more failures: without the success in between, the third in a row would open it.
    expect(await breaker.record('p', 'm', 'failure', false, now)).toBe('closed');
    expect(await breaker.record('p', 'm', 'failure', false, now)).toBe('closed');
    const [state] = await breaker.getCircuitStates();
    expect(state).toMatchObject({ consecutiveFailures: 2, windowRequests: 5, windowFailures: 4 });

    const closed = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 0 });
    closed.disconnect();
    const errors: unknown[] = [];
    // A batch window shorter than the wait below, so the batch's own timer sends it.
    new CircuitBreaker(closed, keys, { ...options, successBatchMs: 10 }, undefined, (error) =>
      errors.push(error),
    ).recordSuccessInBackground('p', 'm', now);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toHaveLength(1);
  });
});

describe('successes batched per circuit', () => {
  it('are counted and sent together, one script for the batch', async () => {
    // A batch that only flushSuccesses sends, so the test can look before and after.
    const breaker = new CircuitBreaker(redis, keys, { ...options, successBatchMs: 60_000 });
    const now = 3_000_000;
    await breaker.record('p', 'm', 'failure', false, now);
    await breaker.record('p', 'm', 'failure', false, now);
    for (let index = 0; index < 4; index += 1) breaker.recordSuccessInBackground('p', 'm', now);
    breaker.recordSuccessInBackground('p', 'other', now);
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Read apart from the breaker, which would send them first.
    expect(await redis.hmget(keys.circuit('p', 'm'), 'failures', 'win_total')).toEqual(['2', '2']);
    expect(await redis.exists(keys.circuit('p', 'other'))).toBe(0);
    await breaker.flushSuccesses();
    expect(await new CircuitBreaker(redis, keys, options).getCircuitStates()).toEqual([
      expect.objectContaining({ model: 'm', consecutiveFailures: 0, windowRequests: 6 }),
      expect.objectContaining({ model: 'other', state: 'closed', windowRequests: 1 }),
    ]);
  });

  it('sent late, do not undo the failures another worker recorded after them', async () => {
    const breaker = new CircuitBreaker(redis, keys, { ...options, successBatchMs: 60_000 });
    const otherConnection = new Redis(testRedisUrl());
    const other = new CircuitBreaker(otherConnection, keys, options);
    try {
      const now = 5_000_000;
      breaker.recordSuccessInBackground('p', 'm', now);
      // Two failures in a row after the batched success, one short of the threshold (3).
      await other.record('p', 'm', 'failure', false, now + 1);
      await other.record('p', 'm', 'failure', false, now + 2);
      await breaker.flushSuccesses();
      const [afterBatch] = await other.getCircuitStates();
      expect(afterBatch).toMatchObject({ state: 'closed', consecutiveFailures: 2 });
      expect(afterBatch?.windowRequests).toBe(3);
      expect(await other.record('p', 'm', 'failure', false, now + 3)).toBe('open');
      // A success newer than the latest failure still resets the count.
      const fresh = new RedisKeys(uniquePrefix('test-circuit-fresh'));
      const freshBreaker = new CircuitBreaker(redis, fresh, { ...options, successBatchMs: 60_000 });
      await freshBreaker.record('p', 'm', 'failure', false, now);
      await freshBreaker.record('p', 'm', 'failure', false, now + 1);
      freshBreaker.recordSuccessInBackground('p', 'm', now + 2);
      await freshBreaker.flushSuccesses();
      expect(await freshBreaker.getCircuitStates()).toEqual([
        expect.objectContaining({ state: 'closed', consecutiveFailures: 0 }),
      ]);
      await cleanupPrefix(redis, fresh.prefix);
    } finally {
      await otherConnection.quit();
    }
  });

  it('sent late, change nothing on a circuit another worker opened meanwhile', async () => {
    const breaker = new CircuitBreaker(redis, keys, { ...options, successBatchMs: 60_000 });
    const otherConnection = new Redis(testRedisUrl());
    const other = new CircuitBreaker(otherConnection, keys, options);
    try {
      let now = 4_000_000;
      breaker.recordSuccessInBackground('p', 'm', now);
      for (let index = 0; index < 3; index += 1)
        await other.record('p', 'm', 'failure', false, now + 1);
      await breaker.flushSuccesses();
      const [opened] = await other.getCircuitStates();
      expect(opened).toMatchObject({ state: 'open', windowRequests: 0, timesOpened: 1 });
      // Half-open: a batch that lands between the probe's permit and its failure changes
      // nothing either; the probe's own record, never batched, opens it again.
      now += options.cooldownMs + 1;
      expect(await other.acquire('p', 'm', now)).toEqual({ allowed: true, probe: true });
      breaker.recordSuccessInBackground('p', 'm', now);
      await breaker.flushSuccesses();
      expect(await other.record('p', 'm', 'failure', true, now + 1)).toBe('open');
      const [reopened] = await other.getCircuitStates();
      expect(reopened).toMatchObject({ state: 'open', timesOpened: 2 });
    } finally {
      await otherConnection.quit();
    }
  });
});
