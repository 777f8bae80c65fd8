import { createServer, type Server } from 'node:http';
import { CostLedger, ledgerLineFromCacheHit, toNanoUsd } from '@llmq/core';
import request from 'supertest';
import { adminKey, createApiHarness, tenantAKey, tenantBKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;

beforeEach(async () => {
  harness = await createApiHarness();
});
afterEach(async () => {
  await harness.close();
});

const auth = (key = tenantAKey) => ({ Authorization: `Bearer ${key}` });
const job = {
  model: 'sim-gpt-fast',
  fallbacks: false,
  max_tokens: 100,
  messages: [{ role: 'user', content: 'Summarise the quarterly report in three lines.' }],
};

async function estimateOf(body: object) {
  const response = await request(harness.app)
    .post('/v1/estimate')
    .set(auth())
    .send(body)
    .expect(200);
  return response.body;
}

describe('POST /v1/estimate', () => {
  it('prices the input and the largest output at the catalog prices', async () => {
    const estimate = await estimateOf(job);
    const entry = harness.catalog.resolve('sim-gpt-fast');
    if (!entry) throw new Error('catalog without sim-gpt-fast');
    expect(estimate.candidates).toHaveLength(1);
    const [candidate] = estimate.candidates;
    expect(candidate).toMatchObject({
      model: 'sim-gpt-fast',
      role: 'primary',
      tokenizer: 'o200k_base',
      max_output_tokens: 100,
      fits_context_window: true,
      usable: true,
    });
    expect(candidate.input_tokens).toBeGreaterThan(5);
    expect(candidate.input_cost_usd).toBeCloseTo(
      (candidate.input_tokens * entry.pricing.input) / 1e6,
      12,
    );
    expect(candidate.max_output_cost_usd).toBeCloseTo((100 * entry.pricing.output) / 1e6, 12);
    expect(estimate.max_cost_usd).toBeCloseTo(
      candidate.input_cost_usd + candidate.max_output_cost_usd,
      12,
    );
  });

  it('lists the routing chain for auto, and the hedge model, and reserves the dearest plus the hedge', async () => {
    const estimate = await estimateOf({
      model: 'auto',
      prompt: 'hi',
      max_tokens: 50,
      hedge: { model: 'sim-claude-fast' },
    });
    expect(estimate.routing.mode).toBe('auto');
    const roles = estimate.candidates.map((item: { role: string }) => item.role);
    expect(roles[0]).toBe('primary');
    expect(roles.at(-1)).toBe('hedge');
    expect(estimate.candidates.map((item: { model: string }) => item.model)).toEqual([
      ...estimate.routing.chain,
      'sim-claude-fast',
    ]);
    const chainMax = Math.max(
      ...estimate.candidates
        .filter((item: { role: string }) => item.role !== 'hedge')
        .map((item: { max_cost_usd: number }) => toNanoUsd(item.max_cost_usd)),
    );
    const hedge = toNanoUsd(estimate.candidates.at(-1).max_cost_usd);
    expect(toNanoUsd(estimate.max_cost_usd)).toBe(chainMax + hedge);
  });

  it('reports what optimize would change', async () => {
    const estimate = await estimateOf({
      ...job,
      messages: [{ role: 'user', content: 'too    many     spaces\n\n\n\nhere' }],
      optimize: { normalize_whitespace: true },
    });
    expect(estimate.optimization).toMatchObject({
      applied: ['normalize_whitespace'],
      whitespace_chars_removed: 9,
    });
  });

  it('refuses what a submit would refuse, with the same codes', async () => {
    const response = await request(harness.app)
      .post('/v1/estimate')
      .set(auth())
      .send({ ...job, model: 'gpt-17-ultra' })
      .expect(400);
    expect(response.body.error.code).toBe('unknown_model');
  });
});

describe('optimize on POST /v1/jobs', () => {
  it('queues the optimised prompt and reports what changed on the job', async () => {
    // A long conversation needs a larger body than the default test limit.
    await harness.close();
    harness = await createApiHarness({ bodyLimit: '1mb' });
    const history = Array.from({ length: 40 }, (_, index) => ({
      role: index % 2 === 0 ? 'user' : 'assistant',
      content: `turn ${index}: ${'context '.repeat(250)}`,
    }));
    const response = await request(harness.app)
      .post('/v1/jobs')
      .set(auth())
      .send({
        model: 'sim-local-llama',
        max_tokens: 1000,
        messages: [{ role: 'system', content: 'Be   brief.' }, ...history],
        optimize: { trim_history: true, normalize_whitespace: true },
      })
      .expect(202);
    const queued = await harness.queue.getJob(response.body.id);
    const messages = queued?.data.request.messages as Array<{ role: string; content: string }>;
    expect(messages[0]).toEqual({ role: 'system', content: 'Be brief.' });
    expect(messages.at(-1)?.content).toMatch(/^turn 39:/);
    const view = await request(harness.app)
      .get(`/v1/jobs/${response.body.id}`)
      .set(auth())
      .expect(200);
    expect(view.body.optimization).toMatchObject({
      applied: ['normalize_whitespace', 'trim_history'],
      messages_dropped: 41 - messages.length,
    });
    // sim-local-llama's window is 8192 tokens, less the 1000 the answer may take.
    expect(view.body.optimization.input_tokens_after).toBeLessThanOrEqual(8192 - 1000);
    expect(view.body.optimization.input_tokens_before).toBeGreaterThan(8192);
  });
});

describe('a job that reserved nothing', () => {
  it("says so in its data, so its end does not look for a reservation; a budgeted tenant's job does not", async () => {
    await request(harness.app)
      .put('/v1/admin/tenants/tenant-a/budget')
      .set(auth(adminKey))
      .send({ daily_hard_usd: 10 })
      .expect(200);
    const budgeted = await request(harness.app).post('/v1/jobs').set(auth()).send(job).expect(202);
    const free = await request(harness.app)
      .post('/v1/jobs')
      .set(auth(tenantBKey))
      .send(job)
      .expect(202);
    const status = await request(harness.app)
      .get('/v1/admin/tenants/tenant-a/budget')
      .set(auth(adminKey))
      .expect(200);
    expect(status.body.reserved_usd).toBeGreaterThan(0);
    const budgetedJob = await harness.queue.getJob(budgeted.body.id);
    const freeJob = await harness.queue.getJob(free.body.id);
    expect(budgetedJob?.data).toMatchObject({ jobId: budgeted.body.id });
    expect(budgetedJob?.data).not.toHaveProperty('noReservation');
    expect(freeJob?.data).toMatchObject({ jobId: free.body.id, noReservation: true });
  });
});

describe('budgets', () => {
  let server: Server;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve));
  });

  it('lets 200 concurrent submits overspend by at most one job: the rest get 402 budget_exceeded', async () => {
    const estimate = toNanoUsd((await estimateOf(job)).max_cost_usd);
    // Room for 50 jobs and a half: the 51st must not fit.
    const dailyHardUsd = (estimate * 50.5) / 1e9;
    await request(harness.app)
      .put('/v1/admin/tenants/tenant-a/budget')
      .set(auth(adminKey))
      .send({ daily_hard_usd: dailyHardUsd })
      .expect(200);

    server = createServer(harness.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const responses = await Promise.all(
      Array.from({ length: 200 }, () => request(server).post('/v1/jobs').set(auth()).send(job)),
    );
    const accepted = responses.filter((response) => response.status === 202);
    const refused = responses.filter((response) => response.status === 402);
    expect(accepted.length + refused.length).toBe(200);
    expect(accepted.length).toBeLessThanOrEqual(51);
    expect(accepted.length).toBe(50);
    expect(refused[0]?.body.error).toMatchObject({
      code: 'budget_exceeded',
      details: { period: 'daily' },
    });
    expect(await harness.queuedCount()).toBe(accepted.length);

    // Tenant B has no budget: unaffected.
    await request(harness.app).post('/v1/jobs').set(auth(tenantBKey)).send(job).expect(202);

    // Cancelling a queued job releases its reservation: one more fits.
    const status = await request(harness.app)
      .get('/v1/admin/tenants/tenant-a/budget')
      .set(auth(adminKey))
      .expect(200);
    expect(toNanoUsd(status.body.reserved_usd)).toBe(50 * estimate);
    await request(harness.app).delete(`/v1/jobs/${accepted[0]?.body.id}`).set(auth()).expect(200);
    await request(harness.app).post('/v1/jobs').set(auth()).send(job).expect(202);
    await request(harness.app).post('/v1/jobs').set(auth()).send(job).expect(402);
  });

  it('reads, replaces and resets a budget through the admin API, audited', async () => {
    const put = await request(harness.app)
      .put('/v1/admin/tenants/tenant-a/budget')
      .set(auth(adminKey))
      .send({ daily_hard_usd: 2, monthly_soft_usd: 40, monthly_hard_usd: null })
      .expect(200);
    expect(put.body).toMatchObject({
      object: 'budget',
      tenant: 'tenant-a',
      budget: { daily_hard_usd: 2, monthly_soft_usd: 40, monthly_hard_usd: null },
      effective: { daily_hard_usd: 2, daily_soft_usd: null, monthly_soft_usd: 40 },
      spent_today_usd: 0,
      reserved_usd: 0,
    });
    await request(harness.app)
      .put('/v1/admin/tenants/tenant-a/budget')
      .set(auth(adminKey))
      .send({ daily_hard_usd: -1 })
      .expect(400);
    const reset = await request(harness.app)
      .delete('/v1/admin/tenants/tenant-a/budget')
      .set(auth(adminKey))
      .expect(200);
    expect(reset.body.budget).toEqual({});
    const audit = await request(harness.app).get('/v1/admin/audit').set(auth(adminKey));
    expect(audit.body.data.map((entry: { action: string }) => entry.action)).toEqual(
      expect.arrayContaining(['budget-update', 'budget-reset']),
    );
  });

  it('raises a metric and one log event (no prompt text) when a soft budget is crossed', async () => {
    const estimate = toNanoUsd((await estimateOf(job)).max_cost_usd);
    await request(harness.app)
      .put('/v1/admin/tenants/tenant-a/budget')
      .set(auth(adminKey))
      .send({ daily_soft_usd: (estimate * 1.5) / 1e9 })
      .expect(200);
    for (let index = 0; index < 4; index += 1)
      await request(harness.app).post('/v1/jobs').set(auth()).send(job).expect(202);
    const events = harness.logLines.filter((line) => line.includes('budget-soft-exceeded'));
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0] ?? '{}')).toMatchObject({ tenant: 'tenant-a', period: 'daily' });
    expect(events[0]).not.toContain('quarterly');
    const counter = await harness.metrics.budgetSoftExceeded.get();
    expect(counter.values.find((value) => value.labels.period === 'daily')?.value).toBe(1);
  });
});

describe('GET /v1/usage', () => {
  it("reports the caller's tenant only, summed exactly, grouped by model and day", async () => {
    const ledger = new CostLedger(harness.redis, harness.keys);
    const day = Date.parse('2026-11-20T12:00:00Z');
    const line = (model: string, costNanoUsd: number, input: number) => ({
      model,
      costNanoUsd,
      inputTokens: input,
      cachedInputTokens: 2,
      outputTokens: 7,
      calls: 1,
      cacheHits: 0,
      savedNanoUsd: 0,
      savedTokens: 0,
    });
    await ledger.record('tenant-a', [line('sim-gpt-fast', 1_234, 10)], { now: day });
    await ledger.record(
      'tenant-a',
      [line('sim-gpt-fast', 1_111, 5), line('sim-claude-fast', 7, 3)],
      {
        now: day + 86_400_000,
      },
    );
    await ledger.record(
      'tenant-a',
      [
        ledgerLineFromCacheHit('sim-gpt-fast', {
          saved_cost_usd: 0.000001,
          usage: { input_tokens: 4, output_tokens: 6, cached_input_tokens: 0, total_tokens: 10 },
        } as Parameters<typeof ledgerLineFromCacheHit>[1]),
      ],
      { now: day },
    );
    await ledger.record('tenant-b', [line('sim-gpt-fast', 999_999, 100)], { now: day });

    const report = await request(harness.app)
      .get('/v1/usage?start=2026-11-20&end=2026-11-21&group_by=model,day')
      .set(auth())
      .expect(200);
    expect(report.body.totals).toMatchObject({
      cost_nano_usd: 1_234 + 1_111 + 7,
      cost_usd: (1_234 + 1_111 + 7) / 1e9,
      input_tokens: 18,
      cached_input_tokens: 6,
      output_tokens: 21,
      calls: 3,
      cache_hits: 1,
      saved_cost_usd: 0.000001,
      saved_tokens: 10,
    });
    expect(
      report.body.data.map((row: { day: string; model: string; cost_nano_usd: number }) => [
        row.day,
        row.model,
        row.cost_nano_usd,
      ]),
    ).toEqual([
      ['2026-11-20', 'sim-gpt-fast', 1_234],
      ['2026-11-21', 'sim-claude-fast', 7],
      ['2026-11-21', 'sim-gpt-fast', 1_111],
    ]);

    const byModel = await request(harness.app)
      .get(`/v1/usage?start=${Math.floor(day / 1000)}&end=2026-11-21&group_by=model`)
      .set(auth())
      .expect(200);
    expect(byModel.body.data.map((row: { model: string }) => row.model)).toEqual([
      'sim-claude-fast',
      'sim-gpt-fast',
    ]);

    const other = await request(harness.app)
      .get('/v1/usage?start=2026-11-20&end=2026-11-21')
      .set(auth(tenantBKey))
      .expect(200);
    expect(other.body.totals.cost_nano_usd).toBe(999_999);
    expect(other.body.data).toEqual([]);
  });

  it('refuses a bad range with 400', async () => {
    for (const query of [
      'start=2026-11-21&end=2026-11-20',
      'start=2026-02-30',
      'start=2020-01-01&end=2026-01-01',
      'group_by=tenant',
      'tenant=tenant-b',
    ]) {
      const response = await request(harness.app).get(`/v1/usage?${query}`).set(auth());
      expect([query, response.status, response.body.error?.code]).toEqual([
        query,
        400,
        'invalid_request',
      ]);
    }
  });
});
