import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI, { toFile } from 'openai';
import request from 'supertest';
import { adminKey, createApiHarness, tenantAKey, tenantBKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness;
let server: Server;
let baseUrl: string;

beforeEach(async () => {
  // No worker runs here: a sync request's job stays queued, so waits end at this timeout.
  harness = await createApiHarness({ waitTimeoutMs: 300 });
  server = harness.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await harness.close();
});

const openaiFor = (apiKey = tenantAKey) =>
  new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey, maxRetries: 0 });
const anthropicFor = (apiKey = tenantAKey) =>
  new Anthropic({ baseURL: baseUrl, apiKey, maxRetries: 0 });

/** The shipped catalog's models with a configured provider in the harness (no real keys). */
const usable = [
  'sim-gpt-fast',
  'sim-gpt-strong',
  'sim-claude-fast',
  'sim-claude-strong',
  'sim-local-llama',
  'sim-gpt-instruct',
  'sim-embed-small',
];

describe('GET /v1/models', () => {
  it("lists and retrieves the usable models in OpenAI's shape for the openai client", async () => {
    const openai = openaiFor();
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(usable);
    // A model whose provider is not keyed here is not usable, so not listed.
    expect(ids).not.toContain('gpt-5');
    const model = await openai.models.retrieve('sim-gpt-fast');
    expect(model).toEqual({
      id: 'sim-gpt-fast',
      object: 'model',
      created: 0,
      owned_by: 'simulator-openai',
    });
    // An alias retrieves its model, answered under the model's id.
    expect((await openai.models.retrieve('fast')).id).toBe('sim-gpt-fast');
    const missing = await openai.models.retrieve('gpt-5').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect(missing).toMatchObject({ code: 'model_not_found', type: 'invalid_request_error' });
  });

  it("pages Anthropic's shape for the Anthropic client, forwards and backwards", async () => {
    const anthropic = anthropicFor();
    const ids: string[] = [];
    for await (const model of anthropic.models.list({ limit: 3 })) ids.push(model.id);
    expect(ids).toEqual(usable);
    const first = await anthropic.models.list({ limit: 2 });
    expect(first.data.map((model) => model.id)).toEqual(usable.slice(0, 2));
    expect(first).toMatchObject({ has_more: true, first_id: usable[0], last_id: usable[1] });
    const before = await anthropic.models.list({ limit: 2, before_id: 'sim-claude-strong' });
    expect(before.data.map((model) => model.id)).toEqual(['sim-gpt-strong', 'sim-claude-fast']);
    const model = await anthropic.models.retrieve('sim-claude-fast');
    expect(model).toMatchObject({
      type: 'model',
      id: 'sim-claude-fast',
      display_name: 'sim-claude-fast',
      created_at: '1970-01-01T00:00:00Z',
    });
    const missing = await anthropic.models.retrieve('claude-opus-4-5').catch((error) => error);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect(missing.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const none = await anthropic.models.list({ lifecycle: ['retired'] });
    expect(none.data).toEqual([]);
  });

  it('needs a key, and refuses an unknown cursor naming it', async () => {
    await request(harness.app).get('/v1/models').expect(401);
    const response = await request(harness.app)
      .get('/v1/models?after_id=nope')
      .set({ Authorization: `Bearer ${tenantAKey}`, 'anthropic-version': '2023-06-01' })
      .expect(400);
    expect(response.body).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('after_id') },
    });
  });
});

describe('POST /v1/messages/count_tokens', () => {
  it('counts a request with system and tools for the Anthropic client, more with each', async () => {
    const anthropic = anthropicFor();
    const messages = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];
    const plain = await anthropic.messages.countTokens({ model: 'sim-claude-fast', messages });
    expect(plain.input_tokens).toBeGreaterThan(5);
    const withSystem = await anthropic.messages.countTokens({
      model: 'sim-claude-fast',
      messages,
      system: 'You are a meteorologist who answers in one sentence.',
    });
    expect(withSystem.input_tokens).toBeGreaterThan(plain.input_tokens);
    const withTools = await anthropic.messages.countTokens({
      model: 'sim-claude-fast',
      messages,
      tools: [
        {
          name: 'get_weather',
          description: 'The current weather in a city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
    });
    expect(withTools.input_tokens).toBeGreaterThan(plain.input_tokens);
    // Nothing ran: no job was queued.
    expect(await harness.interactiveQueue.count()).toBe(0);
  });

  it("answers an unknown model 404 and a foreign field 400, in Anthropic's shape", async () => {
    const anthropic = anthropicFor();
    const messages = [{ role: 'user' as const, content: 'hi' }];
    const missing = await anthropic.messages
      .countTokens({ model: 'no-such-model', messages })
      .catch((error) => error);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    const response = await request(harness.app)
      .post('/v1/messages/count_tokens')
      .set({ Authorization: `Bearer ${tenantAKey}` })
      .send({ model: 'sim-claude-fast', messages, max_tokens: 10 })
      .expect(400);
    expect(response.body).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') },
    });
  });
});

const line = (index: number) =>
  `${JSON.stringify({
    custom_id: `r${index}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'hi' }] },
  })}\n`;

describe('GET /v1/files and DELETE /v1/files/:id', () => {
  it("lists a tenant's own files, newest first, through the SDK's auto-pagination", async () => {
    const openai = openaiFor();
    const created: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const file = await openai.files.create({
        file: await toFile(Buffer.from(line(index)), `in-${index}.jsonl`),
        purpose: 'batch',
      });
      created.push(file.id);
    }
    const other = await openaiFor(tenantBKey).files.create({
      file: await toFile(Buffer.from(line(9)), 'b.jsonl'),
      purpose: 'batch',
    });
    const ids: string[] = [];
    for await (const file of openai.files.list({ limit: 2 })) ids.push(file.id);
    expect(ids).toEqual([...created].reverse());
    const ascending = await openai.files.list({ limit: 2, order: 'asc' });
    expect(ascending.data.map((file) => file.id)).toEqual(created.slice(0, 2));
    expect(ascending.has_more).toBe(true);
    const next = await openai.files.list({ limit: 2, order: 'asc', after: created[1] });
    expect(next.data.map((file) => file.id)).toEqual(created.slice(2, 4));
    // Filters: no output file exists yet; a purpose llmq never stores lists nothing.
    expect((await openai.files.list({ purpose: 'batch_output' })).data).toEqual([]);
    expect((await openai.files.list({ purpose: 'fine-tune' })).data).toEqual([]);
    expect((await openai.files.list({ purpose: 'batch' })).data).toHaveLength(5);
    // The other tenant sees only its own.
    const theirs = await openaiFor(tenantBKey).files.list();
    expect(theirs.data.map((file) => file.id)).toEqual([other.id]);
  });

  it('deletes a file for its tenant only, and refuses one an unfinished batch uses', async () => {
    const openai = openaiFor();
    const [kept, used] = await Promise.all(
      ['kept', 'used'].map(async (name) =>
        openai.files.create({
          file: await toFile(Buffer.from(line(1)), `${name}.jsonl`),
          purpose: 'batch',
        }),
      ),
    );
    if (!kept || !used) throw new Error('upload failed');
    const foreign = await openaiFor(tenantBKey)
      .files.delete(kept.id)
      .catch((error) => error);
    expect(foreign).toBeInstanceOf(OpenAI.NotFoundError);
    expect(await openai.files.delete(kept.id)).toEqual({
      id: kept.id,
      object: 'file',
      deleted: true,
    });
    await expect(openai.files.retrieve(kept.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect((await openai.files.list()).data.map((file) => file.id)).toEqual([used.id]);
    expect(await harness.redis.exists(harness.keys.fileChunks(kept.id))).toBe(0);

    // No worker runs here: the batch stays `validating`, so its input file is in use.
    const batch = await openai.batches.create({
      input_file_id: used.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    const refused = await openai.files.delete(used.id).catch((error) => error);
    expect(refused).toBeInstanceOf(OpenAI.ConflictError);
    expect(refused.error).toMatchObject({ code: 'file_in_use', details: { batch_id: batch.id } });
    expect(refused.headers.get('x-should-retry')).toBe('false');
    await openai.batches.cancel(batch.id);
    // Cancelling a validating batch ends it at once (no line ever started).
    const ended = await openai.batches.retrieve(batch.id);
    expect(['cancelled', 'cancelling']).toContain(ended.status);
  });
});

describe('POST /v1/embeddings and /v1/completions (accepting, no worker here)', () => {
  const auth = { Authorization: `Bearer ${tenantAKey}` };
  const embeddings = { model: 'sim-embed-small', input: ['a', 'b'] };

  it('queues an interactiveEndpoint job with a record, then answers 504 with its id', async () => {
    const response = await request(harness.app)
      .post('/v1/embeddings')
      .set(auth)
      .send(embeddings)
      .expect(504);
    const jobId = response.headers['x-llmq-job-id'];
    expect(jobId).toMatch(/^job_[0-9a-f]{32}$/);
    expect(response.headers['x-should-retry']).toBe('false');
    expect(response.body.error).toMatchObject({
      code: 'job_wait_timeout',
      type: 'timeout_error',
      details: { job_id: jobId },
    });
    const job = await harness.interactiveQueue.getJob(String(jobId));
    expect(job?.name).toBe('interactiveEndpoint');
    expect(job?.data).toMatchObject({
      endpoint: '/v1/embeddings',
      tenant: 'tenant-a',
      model: 'sim-embed-small',
      embedding: { inputs: ['a', 'b'], encodingFormat: 'float' },
    });
    await request(harness.app).get(`/v1/jobs/${jobId}`).set(auth).expect(200);
    await request(harness.app)
      .get(`/v1/jobs/${jobId}`)
      .set({ Authorization: `Bearer ${tenantBKey}` })
      .expect(404);
  });

  it("lists the job in the tenant's job explorer, and marks it for the tenant's webhook endpoints", async () => {
    // A tenant with a default endpoint: its jobs' ends go to the webhook outbox.
    await harness.webhookEndpoints.create('tenant-b', {
      url: 'https://hooks.example.com/llmq',
      events: ['job.completed', 'job.failed'],
    });
    const submitted: Record<string, string> = {};
    for (const [tenant, key] of [
      ['tenant-a', tenantAKey],
      ['tenant-b', tenantBKey],
    ] as const) {
      const response = await request(harness.app)
        .post('/v1/completions')
        .set({ Authorization: `Bearer ${key}` })
        .send({ model: 'sim-gpt-instruct', prompt: `from ${tenant}` })
        .expect(504);
      submitted[tenant] = String(response.headers['x-llmq-job-id']);
    }
    expect(submitted['tenant-a']).toMatch(/^job_[0-9a-f]{32}$/);
    const listed = await request(harness.app)
      .get('/v1/jobs?lane=interactive')
      .set(auth)
      .expect(200);
    const ids = listed.body.data.map((job: { id: string }) => job.id);
    expect(ids).toContain(submitted['tenant-a']);
    expect(ids).not.toContain(submitted['tenant-b']);
    expect(listed.body.data[0]).toMatchObject({ id: submitted['tenant-a'], status: 'queued' });
    const standard = await request(harness.app).get('/v1/jobs?lane=standard').set(auth).expect(200);
    expect(standard.body.data.map((job: { id: string }) => job.id)).not.toContain(
      submitted['tenant-a'],
    );
    // Only the tenant with an endpoint has its job marked to notify.
    expect((await harness.store.get(submitted['tenant-a']!))?.notify).toBe(false);
    expect((await harness.store.get(submitted['tenant-b']!))?.notify).toBe(true);
  });

  it('maps one Idempotency-Key to one job, and refuses it with another body', async () => {
    const send = (body: object) =>
      request(harness.app)
        .post('/v1/completions')
        .set({ ...auth, 'Idempotency-Key': 'retry-me-1' })
        .send(body);
    const body = { model: 'sim-gpt-instruct', prompt: 'hello' };
    const first = await send(body).expect(504);
    const second = await send(body).expect(504);
    expect(second.headers['x-llmq-job-id']).toBe(first.headers['x-llmq-job-id']);
    expect(await harness.interactiveQueue.count()).toBe(1);
    const other = await send({ ...body, prompt: 'another' }).expect(422);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  it("refuses a model that cannot serve the endpoint, and a request over the tenant's budget", async () => {
    const wrong = await request(harness.app)
      .post('/v1/completions')
      .set(auth)
      .send({ model: 'sim-embed-small', prompt: 'x' })
      .expect(400);
    expect(wrong.body.error).toMatchObject({
      code: 'model_unavailable',
      type: 'invalid_request_error',
    });
    await request(harness.app)
      .put('/v1/admin/tenants/tenant-a/budget')
      .set({ Authorization: `Bearer ${adminKey}` })
      .send({ daily_hard_usd: 0.000001 })
      .expect(200);
    const over = await request(harness.app)
      .post('/v1/completions')
      .set(auth)
      .send({ model: 'sim-gpt-instruct', prompt: 'x', max_tokens: 4000 })
      .expect(402);
    expect(over.body.error).toMatchObject({ code: 'budget_exceeded' });
    expect(await harness.interactiveQueue.count()).toBe(0);
  });
});
