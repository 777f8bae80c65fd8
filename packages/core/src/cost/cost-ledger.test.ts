import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { BatchStore } from '../batches/batch-store';
import { costOfUsage } from '../catalog/model-pricing';
import type { JobResult } from '../jobs/job-record';
import { JobStore } from '../jobs/job-store';
import { RedisKeys } from '../redis/redis-keys';
import type { AttemptRecord } from '../resilience/attempt-record';
import { BudgetStore } from './budget-store';
import { CostLedger } from './cost-ledger';
import { type LedgerLine, ledgerLinesFromAttempts } from './ledger-line';
import { toNanoUsd } from './money';
import { readUsageReport } from './usage-report';

let redis: Redis;
let keys: RedisKeys;
let ledger: CostLedger;
let budgets: BudgetStore;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-ledger'));
  ledger = new CostLedger(redis, keys);
  budgets = new BudgetStore(redis, keys, { defaults: {} });
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

const now = Date.parse('2026-11-27T10:00:00Z');

function attempt(fields: Partial<AttemptRecord>): AttemptRecord {
  return {
    provider: 'simulator-openai',
    model: 'sim-gpt-fast',
    outcome: 'success',
    started_at: now,
    latency_ms: 5,
    cost_usd: 0,
    ...fields,
  };
}

const result: JobResult = {
  text: 'hi',
  message: { role: 'assistant', content: 'hi' },
  finish_reason: 'stop',
  model: 'sim-gpt-fast',
  upstream_model: 'sim-gpt-fast',
  provider: 'simulator-openai',
  usage: { input_tokens: 3, output_tokens: 1, cached_input_tokens: 0, total_tokens: 4 },
  timings: { queue_wait_ms: 1, provider_ms: 2, total_ms: 3 },
};

async function totals(tenant: string) {
  const report = await readUsageReport(redis, keys, tenant, { group_by: [] }, now);
  if ('error' in report) throw new Error(report.error);
  return report.totals;
}

describe('cached input pricing', () => {
  it('prices cached input tokens at the cached price, the rest at the input price', () => {
    const entry = { pricing: { input: 2, output: 8, cached_input: 0.5 } };
    expect(
      costOfUsage(entry, { inputTokens: 1000, cachedInputTokens: 600, outputTokens: 100 }),
    ).toBe((400 * 2 + 600 * 0.5 + 100 * 8) / 1e6);
  });
});

describe('ledger lines from attempts', () => {
  it('counts every billed call per model, hedge losers and aborted hedges included, and skips calls that billed nothing', () => {
    const lines = ledgerLinesFromAttempts([
      attempt({ outcome: 'error', error_code: 'server_error' }),
      attempt({ outcome: 'skipped', error_code: 'circuit_open', model: 'sim-claude-fast' }),
      attempt({
        cost_usd: 0.00012345,
        usage: { input_tokens: 100, cached_input_tokens: 40, output_tokens: 20 },
      }),
      attempt({
        model: 'sim-claude-fast',
        outcome: 'aborted',
        cost_usd: 0.0001,
        cost_estimated: true,
        usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 0 },
      }),
      attempt({
        outcome: 'lost',
        cost_usd: 0.00000001,
        usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1 },
      }),
    ]);
    expect(lines).toEqual([
      expect.objectContaining({
        model: 'sim-gpt-fast',
        costNanoUsd: 123_450 + 10,
        inputTokens: 101,
        cachedInputTokens: 40,
        outputTokens: 21,
        calls: 2,
      }),
      expect.objectContaining({ model: 'sim-claude-fast', costNanoUsd: 100_000, calls: 1 }),
    ]);
  });
});

describe("the ledger write's spec", () => {
  const line = (fields: Partial<LedgerLine> & Pick<LedgerLine, 'model'>): LedgerLine => ({
    costNanoUsd: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    calls: 0,
    cacheHits: 0,
    savedNanoUsd: 0,
    savedTokens: 0,
    ...fields,
  });

  it('is the JSON of its fields, lifetimes and releases, names with quotes and escapes included', () => {
    const lines = [
      line({
        model: 'sim-gpt-fast',
        costNanoUsd: 21_900,
        inputTokens: 18,
        outputTokens: 32,
        calls: 1,
      }),
      line({
        model: 'a "quoted" \\ model\n',
        tier: 'flex',
        costNanoUsd: 5,
        cachedInputTokens: 7,
        calls: 2,
      }),
      line({ model: 'modèle-☃', tier: 'standard', cacheHits: 1, savedNanoUsd: 9, savedTokens: 40 }),
      line({ model: 'nothing-billed' }),
    ];
    const fields = [
      ['sim-gpt-fast|cost', '21900', 'sim-gpt-fast|input', '18', 'sim-gpt-fast|output', '32'],
      ['sim-gpt-fast|calls', '1'],
      ['a "quoted" \\ model\n|flex|cost', '5', 'a "quoted" \\ model\n|flex|cached_input', '7'],
      ['a "quoted" \\ model\n|flex|calls', '2', 'modèle-☃|cache_hits', '1'],
      ['modèle-☃|saved_cost', '9', 'modèle-☃|saved_tokens', '40'],
    ].flat();
    const lifetimes = {
      ttl: String(30 * 86_400),
      dttl: String(3 * 86_400),
      mttl: String(35 * 86_400),
    };
    const ledger = new CostLedger(redis, keys, { retentionDays: 30 });
    const write = (options: Parameters<CostLedger['write']>[2]) =>
      ledger.write('t1', lines, options).spec;
    expect(write({ now })).toBe(JSON.stringify({ f: fields, c: '21905', ...lifetimes }));
    expect(write({ now, releaseReservation: 'job_"1"' })).toBe(
      JSON.stringify({ f: fields, c: '21905', ...lifetimes, r: 'job_"1"' }),
    );
    expect(write({ now, releasePart: { id: 'batch_1', nanoUsd: 12 } })).toBe(
      JSON.stringify({ f: fields, c: '21905', ...lifetimes, rp: 'batch_1', rpa: '12' }),
    );
    expect(ledger.write('t1', [], { now, releaseReservation: 'job_2' }).spec).toBe(
      JSON.stringify({ f: [], c: '0', ...lifetimes, r: 'job_2' }),
    );
  });
});

describe('the ledger inside the job store transition', () => {
  it('is written exactly once per job, releases the reservation, and never for a transition that lost', async () => {
    await new JobStore(redis, keys, { resultTtlSeconds: 60 }).create({
      id: 'job_1',
      tenant: 'acme',
      model: 'sim-gpt-fast',
      priority: 5,
      createdAt: now,
    });
    const store = new JobStore(redis, keys, { resultTtlSeconds: 60 });
    expect(await budgets.reserve('acme', 'job_1', 5_000_000, now)).toEqual({ ok: true });
    const lines = ledgerLinesFromAttempts([
      attempt({
        cost_usd: 0.000123,
        usage: { input_tokens: 10, cached_input_tokens: 2, output_tokens: 5 },
      }),
    ]);
    const write = () => ledger.write('acme', lines, { now, releaseReservation: 'job_1' });
    // Two workers finishing the same job (a stalled job picked up again): one wins.
    const outcomes = await Promise.all([
      store.complete('job_1', result, now, write()),
      store.complete('job_1', result, now, write()),
      store.fail('job_1', { code: 'provider_error', message: 'late' }, now, write()),
    ]);
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await totals('acme')).toMatchObject({
      cost_nano_usd: 123_000,
      input_tokens: 10,
      cached_input_tokens: 2,
      output_tokens: 5,
      calls: 1,
    });
    expect(await budgets.status('acme', now)).toMatchObject({
      spentToday: 123_000,
      spentThisMonth: 123_000,
      reserved: 0,
    });
  });

  it('releases the reservation of a cancelled job', async () => {
    const store = new JobStore(redis, keys, { resultTtlSeconds: 60 });
    await store.create({ id: 'job_2', tenant: 'acme', model: 'm', priority: 5, createdAt: now });
    await budgets.reserve('acme', 'job_2', 700, now);
    expect((await budgets.status('acme', now)).reserved).toBe(700);
    expect(await store.cancel('job_2', 'acme', now)).toEqual({ outcome: 'cancelled' });
    expect((await budgets.status('acme', now)).reserved).toBe(0);
  });
});

describe('the ledger inside the batch line record', () => {
  it('bills a line once however often it is recorded, and frees its share of the batch reservation', async () => {
    const batches = new BatchStore(redis, keys, { ttlSeconds: 60 });
    // A running batch of two lines (an ended or unknown batch records nothing).
    await batches.create({
      id: 'batch_1',
      tenant: 'acme',
      endpoint: '/v1/chat/completions',
      inputFileId: 'file-in',
      completionWindow: '24h',
      createdAt: now,
      expiresAt: now + 86_400_000,
      reservedOutputFileId: 'file-out',
      reservedErrorFileId: 'file-err',
    });
    expect(await batches.begin('batch_1', 2)).toBe('validating');
    await budgets.reserve('acme', 'batch_1', 1000, now);
    const lines = ledgerLinesFromAttempts([
      attempt({
        cost_usd: 0.0000004,
        usage: { input_tokens: 4, cached_input_tokens: 0, output_tokens: 4 },
      }),
    ]);
    for (let run = 0; run < 3; run += 1) {
      await batches.recordLine(
        'batch_1',
        0,
        'completed',
        '{}',
        undefined,
        now,
        ledger.write('acme', lines, { now, releasePart: { id: 'batch_1', nanoUsd: 300 } }),
      );
    }
    expect(await totals('acme')).toMatchObject({ cost_nano_usd: 400, calls: 1, input_tokens: 4 });
    expect((await budgets.status('acme', now)).reserved).toBe(700);
  });
});

describe("the ledger keys' lifetimes", () => {
  const line = (model: string, costNanoUsd: number) => ({
    model,
    costNanoUsd,
    inputTokens: 10,
    cachedInputTokens: 0,
    outputTokens: 5,
    calls: 1,
    cacheHits: 0,
    savedNanoUsd: 0,
    savedTokens: 0,
  });
  const ledgerKeys = () => [
    keys.usageLedger('acme', '2026-11-27'),
    keys.budgetSpend('acme', '2026-11-27'),
    keys.budgetSpend('acme', '2026-11'),
  ];

  it('sets each key its lifetime when a write creates it, and keeps it through later writes', async () => {
    await new CostLedger(redis, keys, { retentionDays: 10 }).record(
      'acme',
      [line('sim-gpt-fast', 1_000)],
      { now },
    );
    const lifetimes = await Promise.all(ledgerKeys().map((key) => redis.ttl(key)));
    expect(lifetimes[0]).toBeGreaterThan(10 * 86_400 - 60);
    expect(lifetimes[0]).toBeLessThanOrEqual(10 * 86_400);
    expect(lifetimes[1]).toBeGreaterThan(3 * 86_400 - 60);
    expect(lifetimes[1]).toBeLessThanOrEqual(3 * 86_400);
    expect(lifetimes[2]).toBeGreaterThan(35 * 86_400 - 60);
    expect(lifetimes[2]).toBeLessThanOrEqual(35 * 86_400);

    // Later writes to the same period add to the totals and leave the lifetimes as they were
    // (shortened here to tell a refresh from none).
    for (const key of ledgerKeys()) await redis.expire(key, 1_000);
    await ledger.record('acme', [line('sim-gpt-fast', 2_000)], { now });
    for (const key of ledgerKeys()) {
      expect(await redis.ttl(key)).toBeGreaterThan(990);
      expect(await redis.ttl(key)).toBeLessThanOrEqual(1_000);
    }
    expect(await redis.get(keys.budgetSpend('acme', '2026-11-27'))).toBe('3000');
    expect(await redis.get(keys.budgetSpend('acme', '2026-11'))).toBe('3000');
    expect(await redis.hget(keys.usageLedger('acme', '2026-11-27'), 'sim-gpt-fast|cost')).toBe(
      '3000',
    );
  });

  it("sets them again for a key that expired, and a model new that day refreshes the day's hash", async () => {
    await ledger.record('acme', [line('sim-gpt-fast', 1_000)], { now });
    for (const key of ledgerKeys()) await redis.del(key);
    await ledger.record('acme', [line('sim-gpt-fast', 1_000)], { now });
    for (const key of ledgerKeys()) expect(await redis.ttl(key)).toBeGreaterThan(86_400);

    await redis.expire(keys.usageLedger('acme', '2026-11-27'), 1_000);
    await ledger.record('acme', [line('sim-claude-fast', 1_000)], { now });
    expect(await redis.ttl(keys.usageLedger('acme', '2026-11-27'))).toBeGreaterThan(86_400);
    expect(await totals('acme')).toMatchObject({ cost_nano_usd: 2_000, calls: 2 });
  });

  it('gives a day of cache hits alone (no spend) its lifetime', async () => {
    await ledger.record(
      'acme',
      [{ ...line('sim-gpt-fast', 0), inputTokens: 0, outputTokens: 0, calls: 0, cacheHits: 1 }],
      { now },
    );
    expect(await redis.ttl(keys.usageLedger('acme', '2026-11-27'))).toBeGreaterThan(86_400);
    expect(await redis.exists(keys.budgetSpend('acme', '2026-11-27'))).toBe(0);
  });
});

describe('budget reservations', () => {
  it('refuses what would pass a hard limit, counting spend and reservations, per period', async () => {
    await budgets.write('acme', { daily_hard_usd: 0.000001, monthly_hard_usd: 0.0000025 });
    expect(await budgets.reserve('acme', 'a', 600, now)).toEqual({ ok: true });
    expect(await budgets.reserve('acme', 'b', 600, now)).toMatchObject({
      ok: false,
      period: 'daily',
      limitNanoUsd: 1000,
      reservedNanoUsd: 600,
    });
    // Spend recorded yesterday counts for the month, not the day.
    await ledger.record(
      'acme',
      [{ ...ledgerLinesFromAttempts([attempt({ cost_usd: 0.000002 })])[0]! }],
      { now: now - 86_400_000 },
    );
    expect(await budgets.reserve('acme', 'c', 300, now)).toMatchObject({
      ok: false,
      period: 'monthly',
      spentNanoUsd: 2000,
    });
  });

  it('reports each soft budget crossed once per period, daily and monthly alike', async () => {
    const store = new BudgetStore(redis, keys, {
      defaults: { dailySoft: 1000, monthlySoft: 2000 },
      reservationTtlSeconds: 2 * 86_400,
    });
    expect(await store.reserve('acme', 'a', 900, now)).toEqual({ ok: true });
    expect(await store.reserve('acme', 'b', 200, now)).toEqual({ ok: true, soft: 'daily' });
    expect(await store.reserve('acme', 'c', 200, now)).toEqual({ ok: true });
    expect(await store.reserve('acme', 'd', 800, now)).toEqual({ ok: true, soft: 'monthly' });
    expect(await store.reserve('acme', 'e', 800, now)).toEqual({ ok: true });
    // A new day: the daily notice is due again, the monthly one is not.
    expect(await store.reserve('acme', 'f', 1, now + 86_400_000)).toEqual({
      ok: true,
      soft: 'daily',
    });
  });

  it('lets a reservation expire, so a crashed submit cannot hold budget forever', async () => {
    const short = new BudgetStore(redis, keys, {
      defaults: { dailyHard: 1000 },
      reservationTtlSeconds: 60,
    });
    expect(await short.reserve('acme', 'lost-job', 900, now)).toEqual({ ok: true });
    expect((await short.reserve('acme', 'next', 900, now + 59_000)).ok).toBe(false);
    expect(await short.reserve('acme', 'next', 900, now + 61_000)).toEqual({ ok: true });
    expect((await short.status('acme', now)).reserved).toBe(900);
  });

  it('says whether a tenant must reserve: cached, forgotten on a write here, always with a default', async () => {
    let clock = now;
    const store = new BudgetStore(redis, keys, {
      defaults: {},
      cacheTtlMs: 5000,
      now: () => clock,
    });
    expect(await store.mayApply('acme')).toBe(false);
    // Another process sets a budget: this one sees it once its cached answer expires.
    await new BudgetStore(redis, keys, { defaults: {} }).write('acme', { daily_hard_usd: 1 });
    expect(await store.mayApply('acme')).toBe(false);
    clock += 5001;
    expect(await store.mayApply('acme')).toBe(true);
    // Written through this store: at once.
    await store.reset('acme');
    expect(await store.mayApply('acme')).toBe(false);
    await store.write('acme', { monthly_soft_usd: 3 });
    expect(await store.mayApply('acme')).toBe(true);
    expect(
      await new BudgetStore(redis, keys, { defaults: { monthlySoft: 1 } }).mayApply('other'),
    ).toBe(true);
  });

  it('treats a retried reservation of the same id as done, and null as no limit over a default', async () => {
    const store = new BudgetStore(redis, keys, { defaults: { dailyHard: 1000 } });
    expect(await store.reserve('acme', 'x', 800, now)).toEqual({ ok: true });
    expect(await store.reserve('acme', 'x', 800, now)).toEqual({ ok: true });
    expect((await store.status('acme', now)).reserved).toBe(800);
    await store.write('acme', { daily_hard_usd: null });
    expect(await store.reserve('acme', 'y', toNanoUsd(1000), now)).toEqual({ ok: true });
  });
});

describe('spend by tier', () => {
  it('keeps each tier apart in the ledger and reports it by tier, standard fields unchanged', async () => {
    const lines = ledgerLinesFromAttempts([
      attempt({
        cost_usd: 0.004,
        usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 10 },
      }),
      attempt({
        cost_usd: 0.002,
        service_tier: 'flex',
        usage: { input_tokens: 100, cached_input_tokens: 0, output_tokens: 10 },
      }),
      attempt({
        cost_usd: 0.001,
        service_tier: 'batch',
        usage: { input_tokens: 50, cached_input_tokens: 0, output_tokens: 5 },
      }),
    ]);
    expect(lines.map((line) => [line.model, line.tier, line.costNanoUsd])).toEqual([
      ['sim-gpt-fast', undefined, 4_000_000],
      ['sim-gpt-fast', 'flex', 2_000_000],
      ['sim-gpt-fast', 'batch', 1_000_000],
    ]);
    await ledger.record('acme', lines, { now });
    const fields = Object.keys(await redis.hgetall(keys.usageLedger('acme', '2026-11-27')));
    expect(fields).toEqual(
      expect.arrayContaining([
        'sim-gpt-fast|cost',
        'sim-gpt-fast|flex|cost',
        'sim-gpt-fast|batch|cost',
      ]),
    );

    const report = await readUsageReport(redis, keys, 'acme', { group_by: ['model', 'tier'] }, now);
    if ('error' in report) throw new Error(report.error);
    expect(report.cost_by_tier_usd).toEqual({ standard: 0.004, flex: 0.002, batch: 0.001 });
    expect(report.data.map((row) => [row.model, row.tier, row.cost_usd, row.input_tokens])).toEqual(
      [
        ['sim-gpt-fast', 'batch', 0.001, 50],
        ['sim-gpt-fast', 'flex', 0.002, 100],
        ['sim-gpt-fast', 'standard', 0.004, 100],
      ],
    );
    const byModel = await readUsageReport(redis, keys, 'acme', { group_by: ['model'] }, now);
    if ('error' in byModel) throw new Error(byModel.error);
    expect(byModel.data).toEqual([
      expect.objectContaining({ model: 'sim-gpt-fast', cost_usd: 0.007 }),
    ]);
  });

  it('prices usage at the tier prices of the catalog entry, standard when it has no such tier', () => {
    const entry = {
      pricing: { input: 1, output: 2, cached_input: 0.5 },
      service_tiers: {
        batch: {
          pricing: { input: 0.5, output: 1, cached_input: 0.25 },
          expected_turnaround_ms: 1000,
          max_lines: 10,
        },
      },
    };
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    expect(costOfUsage(entry, usage)).toBe(3);
    expect(costOfUsage(entry, usage, 'batch')).toBe(1.5);
    expect(costOfUsage(entry, usage, 'flex')).toBe(3);
  });
});
