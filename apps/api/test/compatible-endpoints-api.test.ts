import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { defaultFilterPolicy, type JobResult, routeRequest } from '@llmq/core';
import { waitFor } from '@llmq/testing';
import OpenAI from 'openai';
import request from 'supertest';
import type { ResponseCache } from '../src/interactive/response-cache';
import { createApiHarness, tenantAKey } from './api-harness';

type Harness = Awaited<ReturnType<typeof createApiHarness>>;
let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const auth = { Authorization: `Bearer ${tenantAKey}` };
const chatBody = { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'Hello' }] };
const messagesBody = { ...chatBody, max_tokens: 20 };

/** The error body of a chat request (the base one with `extra`) that must be refused with 400. */
/** Runs `use` with the app listening on a free local port, then closes it. */
async function onPort(app: Harness['app'], use: (port: number) => Promise<void>): Promise<void> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    await use((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function chatRefusal(app: Harness['app'], extra: object) {
  const response = await request(app)
    .post('/v1/chat/completions')
    .set(auth)
    .send({ ...chatBody, ...extra })
    .expect(400);
  return response.body.error;
}

describe('errors on the compatible endpoints', () => {
  it("answers /v1/chat/completions errors in OpenAI's shape with llmq's code", async () => {
    harness = await createApiHarness();
    const response = await request(harness.app)
      .post('/v1/chat/completions')
      .set(auth)
      .send({ model: 'sim-gpt-fast' })
      .expect(400);
    expect(response.body).toEqual({
      error: {
        message: expect.stringContaining('messages'),
        type: 'invalid_request_error',
        param: 'messages',
        code: 'invalid_request',
        details: expect.any(Object),
      },
    });
    const unauthenticated = await request(harness.app)
      .post('/v1/chat/completions')
      .send(chatBody)
      .expect(401);
    expect(unauthenticated.body.error).toMatchObject({
      type: 'authentication_error',
      code: 'missing_api_key',
      param: null,
    });
  });

  it("answers /v1/messages errors in Anthropic's shape with llmq's code", async () => {
    harness = await createApiHarness();
    const response = await request(harness.app)
      .post('/v1/messages')
      .set(auth)
      .send(chatBody) // no max_tokens
      .expect(400);
    expect(response.body).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code: 'invalid_request',
        message: expect.stringContaining('max_tokens'),
      },
    });
  });

  it('refuses, naming it, a field llmq cannot carry instead of dropping it', async () => {
    harness = await createApiHarness();
    for (const [extra, parameter] of [
      [{ store: true }, 'store'],
      [{ logit_bias: { '1': 2 } }, 'logit_bias'],
    ] as const) {
      expect(await chatRefusal(harness.app, extra)).toMatchObject({
        code: 'unsupported_parameter',
        type: 'invalid_request_error',
        message: expect.stringContaining(`"${parameter}"`),
        details: { parameter },
      });
    }
    const anthropic = await request(harness.app)
      .post('/v1/messages')
      .set(auth)
      .send({ ...messagesBody, service_tier: 'auto' })
      .expect(400);
    expect(anthropic.body).toMatchObject({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        code: 'unsupported_parameter',
        details: { parameter: 'service_tier' },
      },
    });
    expect(await harness.queuedCount()).toBe(0);
  });

  it("refuses, naming the field, what the dialect reads but llmq's message model does not take", async () => {
    harness = await createApiHarness();
    const tool = (name: string) => ({ type: 'function', function: { name, parameters: {} } });
    for (const [extra, param] of [
      [{ tools: [tool('get.weather')] }, 'tools.0.name'],
      [{ messages: [{ role: 'user', content: 'Hello', name: 'Ada Lovelace' }] }, 'messages.0.name'],
      [{ prompt_cache_key: 'k'.repeat(1025) }, 'promptCacheKey'],
    ] as const) {
      expect(await chatRefusal(harness.app, extra)).toMatchObject({
        type: 'invalid_request_error',
        code: 'invalid_request',
        param,
      });
    }
    const anthropic = await request(harness.app)
      .post('/v1/messages')
      .set(auth)
      .send({
        ...messagesBody,
        tools: [{ name: 'get.weather', input_schema: { type: 'object' } }],
      })
      .expect(400);
    expect(anthropic.body).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('tools.0.name') },
    });
    // Refused before anything was queued (before, the worker failed such a job as invalid).
    expect(await harness.queuedCount()).toBe(0);
  });

  it("answers an unknown model with 404 in each dialect's shape, as the providers do", async () => {
    harness = await createApiHarness();
    const openai = await request(harness.app)
      .post('/v1/chat/completions')
      .set(auth)
      .send({ ...chatBody, model: 'no-such-model' })
      .expect(404);
    expect(openai.body.error).toMatchObject({
      type: 'invalid_request_error',
      code: 'model_not_found',
    });
    const anthropic = await request(harness.app)
      .post('/v1/messages')
      .set(auth)
      .send({ ...messagesBody, model: 'no-such-model' })
      .expect(404);
    expect(anthropic.body).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', code: 'model_not_found' },
    });
    expect(anthropic.headers['request-id']).toEqual(expect.any(String));
    // Anthropic's error answers carry the request id in the body too (`ErrorResponse.request_id`).
    expect(anthropic.body.request_id).toBe(anthropic.headers['request-id']);
    expect(Object.keys(anthropic.body)).toEqual(['type', 'error', 'request_id']);
    expect(await harness.queuedCount()).toBe(0);
  });

  it('refuses, naming the limit, a prompt that leaves no room for the max_tokens llmq sends Claude by default', async () => {
    const current = await createApiHarness({
      bodyLimit: '4mb',
      filterDefaults: {
        ...defaultFilterPolicy,
        input: { ...defaultFilterPolicy.input, max_characters: 2_000_000, max_tokens: 400_000 },
      },
    });
    harness = current;
    // A prompt within Claude's 200,000-token window, but not with the 4,096 output tokens
    // Anthropic is asked for when the client names no limit (Anthropic refuses that call).
    const inputTokensOf = (content: string) => {
      const outcome = routeRequest(current.catalog, {
        model: 'sim-gpt-strong',
        messages: [{ role: 'user', content }],
      });
      if (!outcome.ok) throw new Error(outcome.message);
      return outcome.decision.input_tokens;
    };
    const perWord = (inputTokensOf('word '.repeat(2000)) - inputTokensOf('word ')) / 1999;
    const content = 'word '.repeat(Math.floor(198_000 / perWord));
    expect(inputTokensOf(content)).toBeGreaterThan(200_000 - 4096);
    expect(inputTokensOf(content)).toBeLessThan(200_000);
    await onPort(current.app, async (port) => {
      const openai = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: tenantAKey });
      const refusal = await openai.chat.completions
        .create({ model: 'sim-claude-strong', messages: [{ role: 'user', content }] })
        .catch((caught: unknown) => caught);
      expect(refusal).toBeInstanceOf(OpenAI.BadRequestError);
      expect(refusal).toMatchObject({ status: 400, code: 'context_window_exceeded' });
      expect((refusal as InstanceType<typeof OpenAI.APIError>).message).toMatch(
        /4096 output tokens \(the max_tokens llmq sends when the request names none\)/,
      );
      expect(await current.interactiveQueue.count()).toBe(0);
    });
  });

  it("refuses a client's output limit above the model's most as OpenAI and Anthropic do, before any call", async () => {
    const current = await createApiHarness();
    harness = current;
    await onPort(current.app, async (port) => {
      const openai = new OpenAI({
        baseURL: `http://127.0.0.1:${port}/v1`,
        apiKey: tenantAKey,
        maxRetries: 0,
      });
      const anthropic = new Anthropic({
        baseURL: `http://127.0.0.1:${port}`,
        apiKey: tenantAKey,
        maxRetries: 0,
        // Without a timeout the SDK refuses a large max_tokens without streaming, unsent.
        timeout: 30_000,
      });
      const messages = [{ role: 'user' as const, content: 'Hello' }];
      const openaiRefusals = await Promise.all(
        [
          openai.chat.completions.create({ model: 'sim-gpt-fast', messages, max_tokens: 200_000 }),
          openai.chat.completions.create({
            model: 'sim-gpt-fast',
            messages,
            max_completion_tokens: 200_000,
            stream: true,
          }),
          openai.responses.create({
            model: 'sim-gpt-fast',
            input: 'Hello',
            max_output_tokens: 200_000,
          }),
        ].map((call) =>
          call.then(
            () => undefined,
            (caught: unknown) => caught,
          ),
        ),
      );
      for (const [refusal, field] of [
        [openaiRefusals[0], 'max_tokens'],
        [openaiRefusals[1], 'max_completion_tokens'],
        [openaiRefusals[2], 'max_output_tokens'],
      ] as const) {
        expect(refusal).toBeInstanceOf(OpenAI.BadRequestError);
        // OpenAI's answer, word for word (its code has been `invalid_value` since 2025).
        expect((refusal as InstanceType<typeof OpenAI.APIError>).error).toEqual({
          message: `${field} is too large: 200000. This model supports at most 16384 completion tokens, whereas you provided 200000.`,
          type: 'invalid_request_error',
          param: field,
          code: 'invalid_value',
        });
        expect(refusal).toMatchObject({ status: 400, param: field, code: 'invalid_value' });
      }
      const anthropicRefusal = await anthropic.messages
        .create({ model: 'sim-claude-fast', messages, max_tokens: 100_000 })
        .catch((caught: unknown) => caught);
      expect(anthropicRefusal).toBeInstanceOf(Anthropic.BadRequestError);
      // Anthropic's `ErrorResponse`, its `request_id` the `request-id` header the SDK read.
      const { requestID } = anthropicRefusal as InstanceType<typeof Anthropic.APIError>;
      expect(requestID).toEqual(expect.any(String));
      expect((anthropicRefusal as InstanceType<typeof Anthropic.APIError>).error).toEqual({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message:
            'max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for sim-claude-fast',
        },
        request_id: requestID,
      });
      expect(await current.interactiveQueue.count()).toBe(0);
    });
    // The native API keeps llmq's code and words, with the limit and the most in its details.
    const native = await request(current.app)
      .post('/v1/jobs')
      .set(auth)
      .send({ model: 'sim-gpt-fast', prompt: 'Hello', max_tokens: 200_000 })
      .expect(400);
    expect(native.body.error).toMatchObject({
      code: 'context_window_exceeded',
      message: expect.stringContaining("max_tokens 200000 > the model's max output 16384"),
      details: { parameter: 'max_tokens', max_tokens: 200_000, max_output_tokens: 16_384 },
    });
  });

  it('answers 504 with the job id past the wait timeout, and leaves the job to be polled', async () => {
    harness = await createApiHarness({ waitTimeoutMs: 300 });
    // No worker runs: the job stays queued.
    const response = await request(harness.app)
      .post('/v1/chat/completions')
      .set(auth)
      .send(chatBody)
      .expect(504);
    const jobId = String(response.headers['x-llmq-job-id']);
    expect(jobId).toMatch(/^job_/);
    expect(response.headers['x-should-retry']).toBe('false');
    expect(response.body.error).toMatchObject({
      code: 'job_wait_timeout',
      type: 'timeout_error',
      details: { job_id: jobId, links: { self: `/v1/jobs/${jobId}` } },
    });
    expect((await harness.store.get(jobId))?.status).toBe('queued');
    // It went to the interactive lane, not behind async jobs.
    expect(await harness.interactiveQueue.getJob(jobId)).toBeDefined();
    expect(await harness.queue.getJob(jobId)).toBeUndefined();
  });
});

describe('a sync request slower than the request timeout', () => {
  // No worker runs: the job stays queued, so the request outlives REQUEST_TIMEOUT_MS for sure.
  it('waits for its job up to its own limit, then answers once with the job id, never a retryable 503', async () => {
    harness = await createApiHarness({ requestTimeoutMs: 100, waitTimeoutMs: 600 });
    const startedAt = Date.now();
    const response = await request(harness.app)
      .post('/v1/messages')
      .set(auth)
      .send(messagesBody)
      .expect(504);
    // Precondition: the general request timeout had passed long before this answer.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(600);
    const jobId = String(response.headers['x-llmq-job-id']);
    expect(jobId).toMatch(/^job_[0-9a-f]{32}$/);
    expect(response.headers['x-should-retry']).toBe('false');
    expect(response.headers['retry-after']).toBeUndefined();
    // Anthropic's shape and the request id header its SDK reads.
    expect(response.headers['request-id']).toBe(response.headers['x-request-id']);
    expect(response.headers['request-id']).toMatch(/^req_[0-9a-f]{32}$/);
    expect(response.body).toEqual({
      type: 'error',
      error: {
        type: 'timeout_error',
        message: expect.stringContaining(jobId),
        code: 'job_wait_timeout',
        details: { job_id: jobId, links: expect.objectContaining({ self: `/v1/jobs/${jobId}` }) },
      },
      request_id: response.headers['request-id'],
    });
    // One request, one job, still waiting to run.
    expect(await harness.interactiveQueue.count()).toBe(1);
    expect((await harness.store.get(jobId))?.status).toBe('queued');
  });

  it('is not retried by the official SDKs (default retries) when the wait limit is reached', async () => {
    const current = await createApiHarness({ requestTimeoutMs: 100, waitTimeoutMs: 400 });
    harness = current;
    await onPort(current.app, async (port) => {
      const openai = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: tenantAKey });
      const anthropic = new Anthropic({ baseURL: `http://127.0.0.1:${port}`, apiKey: tenantAKey });
      const openaiError = await openai.chat.completions
        .create({ model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'Hello' }] })
        .catch((caught: unknown) => caught);
      expect(openaiError).toBeInstanceOf(OpenAI.APIError);
      expect(openaiError).toMatchObject({
        status: 504,
        code: 'job_wait_timeout',
        type: 'timeout_error',
      });
      expect((openaiError as InstanceType<typeof OpenAI.APIError>).requestID).toBeTruthy();
      const anthropicError = await anthropic.messages
        .create({ ...messagesBody, messages: [{ role: 'user', content: 'Hello' }] })
        .catch((caught: unknown) => caught);
      expect(anthropicError).toBeInstanceOf(Anthropic.APIError);
      expect(anthropicError).toMatchObject({
        status: 504,
        error: { type: 'error', error: { type: 'timeout_error', code: 'job_wait_timeout' } },
      });
      expect((anthropicError as InstanceType<typeof Anthropic.APIError>).requestID).toBeTruthy();
      // Two client requests, two jobs: neither SDK retried.
      expect(await current.interactiveQueue.count()).toBe(2);
    });
  });

  it('says not to retry when the job it waits for is cancelled (the SDKs retry a 409)', async () => {
    const current = await createApiHarness();
    harness = current;
    const pending = request(current.app).post('/v1/chat/completions').set(auth).send(chatBody);
    const answered = pending.then((response) => response);
    const jobId = await waitFor(
      async () => (await current.interactiveQueue.getJobs(['prioritized', 'waiting']))[0]?.id,
      { what: 'the sync job to be queued' },
    );
    await request(current.app).delete(`/v1/jobs/${jobId}`).set(auth).expect(200);
    const response = await answered;
    expect(response.status).toBe(409);
    expect(response.headers['x-should-retry']).toBe('false');
    expect(response.body.error).toMatchObject({
      code: 'job_cancelled',
      type: 'invalid_request_error',
    });
  });
});

describe('keep-alives on a stream waiting for its job', () => {
  /** Reads a stream until `wanted` appears (or it ends), then lets go of it. */
  const readUntil = async (response: Response, wanted: string): Promise<string> => {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(wanted)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    return text;
  };

  it.each([
    ['/v1/chat/completions', chatBody, ': keep-alive\n\n'],
    ['/v1/messages', messagesBody, 'event: ping\ndata: {"type": "ping"}\n\n'],
  ])('%s sends its dialect keep-alive while the job is queued', async (path, body, frame) => {
    const current = await createApiHarness({ keepAliveMs: 20 });
    harness = current;
    await onPort(current.app, async (port) => {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...body, stream: true }),
      });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const text = await readUntil(response, frame);
      expect(text).toContain(frame);
      // The job had not run: the keep-alive came while it waited.
      const jobId = response.headers.get('x-llmq-job-id') ?? '';
      expect(jobId).toMatch(/^job_/);
      expect(text).not.toContain('[DONE]');
      expect(text).not.toContain('message_stop');
    });
  });
});

describe('a client that disconnects while its job is queued', () => {
  it('cancels the job and removes it from the interactive queue', async () => {
    const current = await createApiHarness();
    harness = current;
    await onPort(current.app, async (port) => {
      const controller = new AbortController();
      const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...chatBody, stream: true }),
        signal: controller.signal,
      });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const jobId = response.headers.get('x-llmq-job-id') ?? '';
      expect((await current.interactiveQueue.getJob(jobId))?.data.stream).toBe(true);
      controller.abort();
      await waitFor(
        async () => ((await current.store.get(jobId))?.status === 'cancelled' ? true : undefined),
        { what: 'the job to be cancelled' },
      );
      await waitFor(
        async () => ((await current.interactiveQueue.getJob(jobId)) ? undefined : true),
        { what: 'the queue entry to be removed' },
      );
    });
  });
});

describe('sync clients that disconnect while their jobs are queued', () => {
  it('give up their announced waits: every job cancelled, none left waited for', async () => {
    const current = await createApiHarness();
    harness = current;
    await onPort(current.app, async (port) => {
      const clients = Array.from({ length: 20 }, () => new AbortController());
      const requests = clients.map((controller) =>
        fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
          method: 'POST',
          headers: { ...auth, 'Content-Type': 'application/json' },
          body: JSON.stringify(chatBody),
          signal: controller.signal,
        }).catch(() => undefined),
      );
      // No worker runs: each request waits on its job's announced end until its client leaves.
      const queued = await waitFor(
        async () => {
          const jobs = await current.interactiveQueue.getJobs(['wait', 'prioritized']);
          return jobs.length === clients.length ? jobs : undefined;
        },
        { what: 'every job queued' },
      );
      expect(queued.every((job) => job.data.stream !== true)).toBe(true);
      for (const controller of clients) controller.abort();
      await Promise.all(requests);
      for (const job of queued) {
        const id = job.id ?? '';
        await waitFor(
          async () => ((await current.store.get(id))?.status === 'cancelled' ? true : undefined),
          { what: `job ${id} to be cancelled` },
        );
      }
      expect(await current.interactiveQueue.count()).toBe(0);
    });
  });
});

describe('the exact-cache seam', () => {
  const cached: JobResult = {
    text: 'from the cache',
    message: { role: 'assistant', content: 'from the cache' },
    finish_reason: 'stop',
    model: 'sim-gpt-fast',
    upstream_model: 'sim-gpt-fast',
    provider: 'simulator-openai',
    response_id: 'resp_1',
    usage: { input_tokens: 3, output_tokens: 3, cached_input_tokens: 0, total_tokens: 6 },
    timings: { queue_wait_ms: 0, provider_ms: 1, total_ms: 1 },
  };
  // An in-memory stand-in for the exact cache at the seam (the Redis one is tested end to end
  // in test/e2e/exact-cache.test.ts). Only deterministic requests are looked up.
  const cache: ResponseCache = {
    async lookup({ model, request: normalized }) {
      return model === 'sim-gpt-fast' && normalized.messages[0]?.content === 'Hello'
        ? cached
        : undefined;
    },
  };

  it('answers a sync hit without a job, and a streamed hit as a stream', async () => {
    harness = await createApiHarness({ cache });
    const sync = await request(harness.app)
      .post('/v1/chat/completions')
      .set(auth)
      .send({ ...chatBody, temperature: 0 })
      .expect(200);
    expect(sync.headers['x-llmq-cached']).toBe('true');
    expect(sync.body.choices[0].message.content).toBe('from the cache');
    const streamed = await request(harness.app)
      .post('/v1/messages')
      .set(auth)
      .send({ ...messagesBody, stream: true, temperature: 0 })
      .expect(200);
    expect(streamed.headers['content-type']).toContain('text/event-stream');
    expect(streamed.text).toContain('"text":"from the cache"');
    expect(streamed.text).toContain('event: message_stop');
    expect(await harness.queuedCount()).toBe(0);
  });
});
