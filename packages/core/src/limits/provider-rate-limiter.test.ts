import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { ModelCatalog, type ModelEntry, type ModelEntryInput } from '../catalog/model-catalog';
import type { RateLimitsInput } from '../catalog/rate-limits';
import type { RateLimitInfo } from '../providers/language-model';
import { ProviderError } from '../providers/provider-error';
import { RedisKeys } from '../redis/redis-keys';
import type { CallAdmission, CallSettlement } from './call-gate';
import {
  ProviderRateLimiter,
  type ProviderRateLimiterOptions,
  type RateLimitPauseEvent,
  type RateLimitWaitEvent,
} from './provider-rate-limiter';

let redis: Redis;
let otherConnection: Redis;
let keys: RedisKeys;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  otherConnection = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-rate'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await Promise.all([redis.quit(), otherConnection.quit()]);
});

const model = (id: string, rateLimits?: RateLimitsInput): ModelEntryInput => ({
  id,
  provider: 'simulator-openai',
  upstream_model: id,
  tier: 'fast',
  context_window: 100_000,
  max_output_tokens: 1000,
  pricing: { input: 1, output: 1, cached_input: 1 },
  expected_latency_ms: 100,
  ...(rateLimits ? { rate_limits: rateLimits } : {}),
});

function setup(
  entries: ModelEntryInput[],
  options: Partial<ProviderRateLimiterOptions> = {},
  providerLimits?: Record<string, RateLimitsInput>,
) {
  const catalog = new ModelCatalog(entries, { providerLimits });
  const waits: RateLimitWaitEvent[] = [];
  const pauses: RateLimitPauseEvent[] = [];
  const settings = { windowMarginMs: 0, arrivalAllowanceMs: 0, ...options };
  const listeners = {
    onWait: (event: RateLimitWaitEvent) => waits.push(event),
    onPause: (event: RateLimitPauseEvent) => pauses.push(event),
  };
  // Two limiters on two connections play two worker processes.
  const limiter = new ProviderRateLimiter(redis, keys, catalog, settings, listeners);
  const other = new ProviderRateLimiter(otherConnection, keys, catalog, settings, listeners);
  const entry = (id: string) => catalog.resolve(id) as ModelEntry;
  return { limiter, other, entry, waits, pauses };
}

/** A successful call's settlement: the tokens it used, and the provider's rate-limit headers. */
const used = (
  inputTokens: number,
  outputTokens: number,
  rateLimit?: RateLimitInfo,
): CallSettlement => ({
  ok: true,
  usage: { inputTokens, outputTokens },
  ...(rateLimit ? { rateLimit } : {}),
});

function admitted(admission: CallAdmission) {
  if (!admission.admitted) throw new Error(`refused: ${admission.reason} ${admission.waitMs} ms`);
  return admission;
}

describe('ProviderRateLimiter (Lua over real Redis)', () => {
  it('shares a request window between workers and refuses with the wait until a slot frees', async () => {
    // 3 requests per minute: a 60 s window, so real time hardly moves the numbers.
    const { limiter, other, entry } = setup([model('m', { rpm: 3 })]);
    expect(await limiter.reserve(entry('m'), 10)).toMatchObject({ ok: true });
    expect(await other.reserve(entry('m'), 10)).toMatchObject({ ok: true });
    expect(await limiter.reserve(entry('m'), 10)).toMatchObject({ ok: true });
    const refused = await other.reserve(entry('m'), 10);
    expect(refused).toMatchObject({ ok: false, reason: 'rpm' });
    if (refused.ok) return;
    expect(refused.waitMs).toBeGreaterThan(55_000);
    expect(refused.waitMs).toBeLessThanOrEqual(60_000);
    // Another model's window is its own.
    const { limiter: unrelated, entry: entryOf } = setup([model('n', { rpm: 3 })]);
    expect(await unrelated.reserve(entryOf('n'), 10)).toMatchObject({ ok: true });
  });

  it('counts tokens, and reconciling with the actual usage frees what was over-estimated', async () => {
    const { limiter, other, entry } = setup([model('m', { tpm: 150 })]);
    const first = admitted(await limiter.admit(entry('m'), 100));
    const refused = await other.reserve(entry('m'), 100);
    expect(refused).toMatchObject({ ok: false, reason: 'tpm' });
    // The first call used 30 tokens, not 100: 120 more fit now.
    await first.settle(used(20, 10));
    expect(await other.reserve(entry('m'), 100)).toMatchObject({ ok: true });
    expect(await other.reserve(entry('m'), 30)).toMatchObject({ ok: false, reason: 'tpm' });
    expect(await other.reserve(entry('m'), 20)).toMatchObject({ ok: true });
  });

  it('gives a reservation back when the call was not made', async () => {
    const { limiter, entry } = setup([model('m', { rpm: 1 })]);
    const first = admitted(await limiter.admit(entry('m'), 1));
    expect(await limiter.reserve(entry('m'), 1)).toMatchObject({ ok: false });
    await first.release();
    expect(await limiter.reserve(entry('m'), 1)).toMatchObject({ ok: true });
  });

  it('lets a slot go when its window has passed', async () => {
    // 2 per 200 ms (600 rpm over a 200 ms window).
    const { limiter, entry } = setup([model('m', { rpm: 600, window_ms: 200 })]);
    expect(await limiter.reserve(entry('m'), 1)).toMatchObject({ ok: true });
    expect(await limiter.reserve(entry('m'), 1)).toMatchObject({ ok: true });
    const refused = await limiter.reserve(entry('m'), 1);
    expect(refused).toMatchObject({ ok: false, reason: 'rpm' });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await limiter.reserve(entry('m'), 1)).toMatchObject({ ok: true });
  });

  it('holds a reservation while its call runs, then dates it to the end of the call', async () => {
    const sleep = (milliseconds: number) =>
      new Promise((resolve) => setTimeout(resolve, milliseconds));
    // One request per 300 ms window; a call may reach the provider up to 10 s after reserving.
    const limits = { rpm: 200, window_ms: 300 };
    const { limiter, entry } = setup([model('m', limits), model('n', limits)], {
      arrivalAllowanceMs: 10_000,
    });
    const running = admitted(await limiter.admit(entry('n'), 1));
    const call = admitted(await limiter.admit(entry('m'), 1));
    await sleep(200);
    // The call ended 200 ms after its reservation: it may have reached the provider that late.
    await call.settle(used(1, 0));
    await sleep(150);
    expect(await limiter.reserve(entry('m'), 1)).toMatchObject({ ok: false, reason: 'rpm' });
    await sleep(200);
    expect(await limiter.reserve(entry('m'), 1)).toMatchObject({ ok: true });
    // A call still running keeps its slot past its window: it may not have arrived yet.
    expect(await limiter.reserve(entry('n'), 1)).toMatchObject({ ok: false, reason: 'rpm' });
    await running.release();
    expect(await limiter.reserve(entry('n'), 1)).toMatchObject({ ok: true });
  });

  it('spreads refused callers over the window instead of waking them all at once', async () => {
    // 6 per minute: one request's share of the window is 10 s.
    const { limiter, entry } = setup([model('m', { rpm: 6 })]);
    for (let index = 0; index < 6; index += 1) await limiter.reserve(entry('m'), 1);
    const waits: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const refused = await limiter.reserve(entry('m'), 1);
      if (refused.ok) throw new Error('admitted over the limit');
      waits.push(refused.waitMs);
    }
    expect(waits[1]! - waits[0]!).toBeGreaterThanOrEqual(9_900);
    expect(waits[2]! - waits[1]!).toBeGreaterThanOrEqual(9_900);
  });

  it('shares a provider account limit across its models', async () => {
    const { limiter, entry } = setup(
      [model('a'), model('b', { rpm: 100 })],
      {},
      {
        'simulator-openai': { rpm: 2 },
      },
    );
    expect(await limiter.reserve(entry('a'), 1)).toMatchObject({ ok: true });
    expect(await limiter.reserve(entry('b'), 1)).toMatchObject({ ok: true });
    expect(await limiter.reserve(entry('a'), 1)).toMatchObject({ ok: false, reason: 'rpm' });
    expect(await limiter.reserve(entry('b'), 1)).toMatchObject({ ok: false, reason: 'rpm' });
  });

  it('pauses a model for every worker after a 429 with retry-after', async () => {
    const { limiter, other, entry, pauses } = setup([model('m'), model('n')]);
    const call = admitted(await limiter.admit(entry('m'), 5));
    await call.settle({
      ok: false,
      error: new ProviderError({
        code: 'rate_limited',
        message: 'slow down',
        provider: 'simulator-openai',
        statusCode: 429,
        retryAfterMs: 5_000,
      }),
    });
    expect(pauses).toEqual([
      expect.objectContaining({ model: 'm', reason: 'retry_after', pauseMs: 5_000 }),
    ]);
    const refused = await other.reserve(entry('m'), 5);
    expect(refused).toMatchObject({ ok: false, reason: 'retry_after' });
    if (!refused.ok) {
      expect(refused.waitMs).toBeGreaterThan(4_000);
      expect(refused.waitMs).toBeLessThanOrEqual(5_000);
    }
    // A shorter pause never cuts a longer one short; other models are not paused.
    expect(await other.pause(entry('m'), 100, 'provider_headers')).toBe(false);
    expect(await other.reserve(entry('n'), 5)).toMatchObject({ ok: true });
  });

  it('spreads jobs parked by a pause a little past its end', async () => {
    const catalog = new ModelCatalog([model('m')]);
    const limiter = new ProviderRateLimiter(
      redis,
      keys,
      catalog,
      {},
      {},
      async () => undefined,
      () => 0.5,
    );
    const entry = catalog.resolve('m') as ModelEntry;
    await limiter.pause(entry, 5_000, 'retry_after');
    const refused = await limiter.gateFor({ inputTokens: 1 }).admit(entry);
    expect(refused).toMatchObject({ admitted: false, reason: 'retry_after' });
    // Half of the jitter (at most 1 s, or a fifth of the wait) on top of the pause.
    if (!refused.admitted) expect(refused.waitMs).toBeGreaterThan(5_000);
  });

  it("slows a model down when the provider's headers say nothing remains", async () => {
    const { limiter, other, entry, pauses } = setup([model('m')]);
    const plenty = admitted(await limiter.admit(entry('m'), 5));
    await plenty.settle(used(3, 2, { remainingRequests: 10, resetRequestsMs: 3_000 }));
    expect(await other.reserve(entry('m'), 5)).toMatchObject({ ok: true });
    const spent = admitted(await limiter.admit(entry('m'), 5));
    await spent.settle(
      used(3, 2, {
        remainingRequests: 4,
        resetRequestsMs: 1_000,
        remainingTokens: 0,
        resetTokensMs: 3_000,
      }),
    );
    expect(pauses).toEqual([
      expect.objectContaining({ reason: 'provider_headers', pauseMs: 3_000 }),
    ]);
    expect(await other.reserve(entry('m'), 5)).toMatchObject({
      ok: false,
      reason: 'provider_headers',
    });
  });

  it('sleeps through short waits and hands long ones back, reporting each', async () => {
    const slept: number[] = [];
    const catalog = new ModelCatalog([model('m', { rpm: 1 })]);
    const waits: RateLimitWaitEvent[] = [];
    const limiter = new ProviderRateLimiter(
      redis,
      keys,
      catalog,
      { windowMarginMs: 0, maxSleepMs: 100_000 },
      { onWait: (event) => waits.push(event) },
      async (milliseconds) => {
        slept.push(milliseconds);
      },
    );
    const gate = limiter.gateFor({ inputTokens: 10, maxTokens: 5, logFields: { job_id: 'j1' } });
    const entry = catalog.resolve('m') as ModelEntry;
    admitted(await gate.admit(entry));
    // The clock does not move while this fake sleep "sleeps": the gate gives up after a few rounds.
    const refused = await gate.admit(entry);
    expect(refused).toMatchObject({ admitted: false, reason: 'rpm' });
    expect(slept.length).toBeGreaterThan(0);
    expect(waits.at(-1)).toMatchObject({
      action: 'defer',
      model: 'm',
      logFields: { job_id: 'j1' },
    });
    expect(waits.slice(0, -1).every((event) => event.action === 'sleep')).toBe(true);

    const strict = new ProviderRateLimiter(redis, keys, catalog, { maxSleepMs: 10 });
    expect(await strict.gateFor({ inputTokens: 1 }).admit(entry)).toMatchObject({
      admitted: false,
    });
  });

  it('estimates a call as its prompt plus max_tokens, or the default capped by the model', () => {
    const { limiter, entry } = setup([model('m')], { defaultOutputTokens: 5_000 });
    expect(limiter.estimateTokens(entry('m'), { inputTokens: 12, maxTokens: 8 })).toBe(20);
    expect(limiter.estimateTokens(entry('m'), { inputTokens: 12 })).toBe(1012);
  });

  it("estimates a Claude call with the max_tokens its adapter sends: the default plus an effort's thinking", () => {
    const claude = { ...model('c'), provider: 'simulator-anthropic' as const };
    const { limiter, entry } = setup([
      { ...claude, max_output_tokens: 64_000, capabilities: { reasoning: true } },
    ]);
    expect(limiter.estimateTokens(entry('c'), { inputTokens: 12 })).toBe(12 + 4096);
    expect(
      limiter.estimateTokens(entry('c'), { inputTokens: 12, reasoning: { effort: 'high' } }),
    ).toBe(12 + 4096 + 24_576);
    expect(
      limiter.estimateTokens(entry('c'), {
        inputTokens: 12,
        maxTokens: 3000,
        reasoning: { effort: 'high' },
      }),
    ).toBe(12 + 3000);
  });

  it('reserves every answer of a call that answers several prompts (a micro-batched completions call)', () => {
    const { limiter, entry } = setup([model('m')]);
    expect(limiter.estimateTokens(entry('m'), { inputTokens: 12, maxTokens: 8, answers: 3 })).toBe(
      12 + 3 * 8,
    );
    // Each answer is capped at the model's most output (1000), not the call's sum.
    expect(
      limiter.estimateTokens(entry('m'), { inputTokens: 12, maxTokens: 900, answers: 2 }),
    ).toBe(12 + 2 * 900);
    expect(limiter.estimateTokens(entry('m'), { inputTokens: 12, answers: 0 })).toBe(12);
  });
});
