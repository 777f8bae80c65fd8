import { LlmqClient } from '@llmq/client';
import { loadModelCatalog, toNanoUsd } from '@llmq/core';
import { waitFor } from '@llmq/testing';
import OpenAI, { toFile } from 'openai';
import { batchLines, parseJsonl } from './batch-helpers';
import { catalogWithReasoningModels } from './reasoning-catalog';
import { apiKey, otherTenantApiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;

const adminKey = 'e2e-admin-key-for-budgets-0001';
const catalog = loadModelCatalog();
let system: System;
let openai: OpenAI;

beforeAll(async () => {
  system = await startSystem({
    apiEnv: { ADMIN_API_KEY: adminKey },
    env: { MODEL_CATALOG_PATH: catalogWithReasoningModels() },
  });
  openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

/** Polls the other tenant's job until it reaches `status`. */
function otherTenantJobReaches(jobId: string, status: string, what: string) {
  return waitFor(
    async () => {
      const { body } = await system.request('GET', `/v1/jobs/${jobId}`, undefined, {
        Authorization: `Bearer ${otherTenantApiKey}`,
      });
      return body.status === status ? body : undefined;
    },
    { timeoutMs: 15_000, what },
  );
}

function priced(model: string, usage: { prompt_tokens: number; completion_tokens: number }) {
  const entry = catalog.resolve(model);
  if (!entry) throw new Error(`no ${model}`);
  return toNanoUsd(
    (usage.prompt_tokens * entry.pricing.input + usage.completion_tokens * entry.pricing.output) /
      1e6,
  );
}

test('the usage report sums what jobs, sync requests, cache hits and batch lines cost', async () => {
  const job = await system.waitForJob(
    await system.submit({ model: 'sim-claude-fast', prompt: 'echo: ledger me', fallbacks: false }),
  );
  expect(job.status).toBe('completed');
  const sync = {
    model: 'sim-gpt-fast',
    temperature: 0,
    messages: [{ role: 'user' as const, content: 'echo: once' }],
  };
  const first = await openai.chat.completions.create(sync);
  // The worker stores the answer in the cache just after it completes the job.
  await waitFor(
    async () =>
      (await system.redis.keys(`${system.prefix}:cache:exact:e2e:*`)).length > 0 || undefined,
    { timeoutMs: 5000, what: 'the answer to be cached' },
  );
  const hit = await openai.chat.completions.create(sync).withResponse();
  expect(hit.response.headers.get('x-llmq-cached')).toBe('true');

  const file = await openai.files.create({
    file: await toFile(Buffer.from(batchLines(3, { model: 'sim-gpt-fast' })), 'input.jsonl'),
    purpose: 'batch',
  });
  const created = await openai.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  const batch = await waitFor(
    async () => {
      const current = await openai.batches.retrieve(created.id);
      return current.status === 'completed' ? current : undefined;
    },
    { timeoutMs: 30_000, what: 'the batch to complete' },
  );
  const output = parseJsonl<{
    response: { body: { usage: { prompt_tokens: number; completion_tokens: number } } };
  }>(await (await openai.files.content(batch.output_file_id ?? '')).text());
  expect(output).toHaveLength(3);

  const expected =
    toNanoUsd(job.result.cost_usd) +
    priced('sim-gpt-fast', first.usage ?? { prompt_tokens: 0, completion_tokens: 0 }) +
    output.reduce((sum, line) => sum + priced('sim-gpt-fast', line.response.body.usage), 0);
  const report = await waitFor(
    async () => {
      const { body } = await system.request('GET', '/v1/usage?group_by=model');
      return body.totals.calls >= 5 ? body : undefined;
    },
    { timeoutMs: 10_000, what: 'the ledger to hold every call' },
  );
  expect(report.totals).toMatchObject({ cost_nano_usd: expected, calls: 5, cache_hits: 1 });
  expect(report.data.map((row: { model: string }) => row.model)).toEqual([
    'sim-claude-fast',
    'sim-gpt-fast',
  ]);

  // The typed client reads the same report.
  const client = new LlmqClient({ baseUrl: system.apiUrl, apiKey });
  expect((await client.getUsage({ groupBy: ['model'] })).totals).toEqual(report.totals);
  expect(
    (await client.estimate({ model: 'sim-gpt-fast', prompt: 'hi' })).candidates[0],
  ).toMatchObject({ model: 'sim-gpt-fast', role: 'primary' });

  // Every reservation (the job, the sync request, the batch) was replaced by its actual cost.
  const budget = await waitFor(
    async () => {
      const { body } = await system.request('GET', '/v1/admin/tenants/e2e/budget', undefined, {
        Authorization: `Bearer ${adminKey}`,
      });
      return body.reserved_usd === 0 ? body : undefined;
    },
    { timeoutMs: 10_000, what: 'every reservation to be released' },
  );
  expect(toNanoUsd(budget.spent_today_usd)).toBe(expected);

  const other = await system.request('GET', '/v1/usage', undefined, {
    Authorization: `Bearer ${otherTenantApiKey}`,
  });
  expect(other.body.totals).toMatchObject({ cost_nano_usd: 0, calls: 0, cache_hits: 0 });
});

test('a hard budget refuses jobs, sync requests, dead-letter reruns and batches that would pass it', async () => {
  const asOther = { Authorization: `Bearer ${otherTenantApiKey}` };
  // A failed job of the tenant, from before its budget was set.
  system.simulator.configure({ models: { 'sim-gpt-fast': { faults: { status400: 1 } } } });
  const submitted = await system.request(
    'POST',
    '/v1/jobs',
    { model: 'sim-gpt-fast', prompt: 'fails first', fallbacks: false },
    asOther,
  );
  expect(submitted.status).toBe(202);
  const failedJob = await otherTenantJobReaches(submitted.body.id, 'failed', 'the job to fail');
  system.simulator.configure({ models: { 'sim-gpt-fast': { faults: { status400: 0 } } } });

  const put = await system.request(
    'PUT',
    '/v1/admin/tenants/other/budget',
    { daily_hard_usd: 0.000001 },
    { Authorization: `Bearer ${adminKey}` },
  );
  expect(put.status).toBe(200);
  const refused = await system.request(
    'POST',
    '/v1/jobs',
    { model: 'sim-gpt-fast', prompt: 'too dear', max_tokens: 1000 },
    asOther,
  );
  expect(refused.status).toBe(402);
  expect(refused.body.error.code).toBe('budget_exceeded');

  const other = new OpenAI({
    baseURL: `${system.apiUrl}/v1`,
    apiKey: otherTenantApiKey,
    maxRetries: 0,
  });
  const sync = await other.chat.completions
    .create({ model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }] })
    .catch((error: unknown) => error);
  expect(sync).toMatchObject({ status: 402, code: 'budget_exceeded' });

  // A rerun is billed again, so it reserves like a submit (once BullMQ has wound the job up).
  const rerun = await waitFor(
    async () => {
      const answer = await system.request(
        'POST',
        `/v1/jobs/${failedJob.id}/retry`,
        undefined,
        asOther,
      );
      return answer.status === 409 && /wound up/.test(answer.body.error.message)
        ? undefined
        : answer;
    },
    { timeoutMs: 10_000, what: 'the retry to be decided' },
  );
  expect([rerun.status, rerun.body.error?.code]).toEqual([402, 'budget_exceeded']);
  const still = await system.request('GET', `/v1/jobs/${failedJob.id}`, undefined, asOther);
  expect(still.body.status).toBe('failed');

  const file = await other.files.create({
    file: await toFile(Buffer.from(batchLines(2)), 'input.jsonl'),
    purpose: 'batch',
  });
  const created = await other.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  const batch = await waitFor(
    async () => {
      const current = await other.batches.retrieve(created.id);
      return current.status === 'failed' ? current : undefined;
    },
    { timeoutMs: 15_000, what: 'the batch to fail validation' },
  );
  expect(batch.errors?.data?.[0]?.code).toBe('budget_exceeded');
});

test("a dead-letter rerun's reservation is released at its end, when the submit reserved none", async () => {
  const asOther = { Authorization: `Bearer ${otherTenantApiKey}` };
  const asAdmin = { Authorization: `Bearer ${adminKey}` };
  const reset = await system.request(
    'DELETE',
    '/v1/admin/tenants/other/budget',
    undefined,
    asAdmin,
  );
  expect(reset.status).toBe(200);
  // No budget can apply to the tenant: the submit reserves nothing and the job says so.
  system.simulator.configure({ models: { 'sim-gpt-fast': { faults: { status400: 1 } } } });
  const submitted = await system.request(
    'POST',
    '/v1/jobs',
    { model: 'sim-gpt-fast', prompt: 'fails, then reruns under a budget', fallbacks: false },
    asOther,
  );
  expect(submitted.status).toBe(202);
  await otherTenantJobReaches(submitted.body.id, 'failed', 'the job to fail');
  // The rerun's call takes a while, so its reservation is read before its end releases it.
  system.simulator.configure({
    models: { 'sim-gpt-fast': { faults: { status400: 0 }, latencyMs: 1_500 } },
  });

  // With a budget set since, the rerun reserves; its end must release that reservation.
  const put = await system.request(
    'PUT',
    '/v1/admin/tenants/other/budget',
    { daily_hard_usd: 100 },
    asAdmin,
  );
  expect(put.status).toBe(200);
  const rerun = await waitFor(
    async () => {
      const answer = await system.request(
        'POST',
        `/v1/jobs/${submitted.body.id}/retry`,
        undefined,
        asOther,
      );
      return answer.status === 409 && /wound up/.test(answer.body.error.message)
        ? undefined
        : answer;
    },
    { timeoutMs: 10_000, what: 'the retry to be accepted' },
  );
  expect(rerun.status).toBe(202);
  const reserved = await system.request(
    'GET',
    '/v1/admin/tenants/other/budget',
    undefined,
    asAdmin,
  );
  expect(reserved.body.reserved_usd).toBeGreaterThan(0);
  await otherTenantJobReaches(submitted.body.id, 'completed', 'the rerun to complete');
  system.simulator.configure({ models: { 'sim-gpt-fast': { latencyMs: 0 } } });
  const budget = await system.request('GET', '/v1/admin/tenants/other/budget', undefined, asAdmin);
  expect(budget.body.reserved_usd).toBe(0);
});

test('a reasoning effort on a Claude or Gemini model reserves the thinking the provider may bill', async () => {
  const asAdmin = { Authorization: `Bearer ${adminKey}` };
  const asOther = { Authorization: `Bearer ${otherTenantApiKey}` };
  const other = new OpenAI({
    baseURL: `${system.apiUrl}/v1`,
    apiKey: otherTenantApiKey,
    maxRetries: 0,
  });
  const messages = [{ role: 'user' as const, content: 'echo: thought through' }];
  // With no limit, the Claude adapter sends max_tokens = 4,096 (the default answer) + 24,576
  // (the thinking budget of effort high); Gemini counts thoughts inside maxOutputTokens and,
  // with none sent, may think its whole budget besides an answer estimated at 1,024. At $15
  // per million output tokens that is about $0.43 and $0.38, where the old reservation counted
  // 1,024 tokens (about $0.015).
  const models = [
    ['sim-claude-thinking', 4096 + 24_576],
    ['sim-gemini-thinking', 1024 + 24_576],
  ] as const;
  const put = await system.request(
    'PUT',
    '/v1/admin/tenants/other/budget',
    { daily_hard_usd: 0.2 },
    asAdmin,
  );
  expect(put.status).toBe(200);
  try {
    for (const [model, outputTokens] of models) {
      const refused = await other.chat.completions
        .create({ model, reasoning_effort: 'high', messages })
        .catch((error: unknown) => error);
      expect([model, refused]).toMatchObject([model, { status: 402, code: 'budget_exceeded' }]);
      const details = (refused as { error: { details: { estimated_cost_usd: number } } }).error
        .details;
      expect(details.estimated_cost_usd).toBeGreaterThan(0.35);
      const estimate = await system.request(
        'POST',
        '/v1/estimate',
        { model, reasoning_effort: 'high', messages },
        asOther,
      );
      expect([model, estimate.body.candidates[0].max_output_tokens]).toEqual([model, outputTokens]);

      // Under a limit the client set, the thinking fits inside it, and so does the reservation.
      const fits = await other.chat.completions.create({
        model,
        reasoning_effort: 'high',
        max_completion_tokens: 3000,
        messages,
      });
      expect(fits.choices[0]?.message.content).toBe('thought through');
    }
  } finally {
    await system.request('DELETE', '/v1/admin/tenants/other/budget', undefined, asAdmin);
  }
});
