import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { apiKey, startSystem } from './system-harness';

/**
 * `Idempotency-Key` on the sync routes: a retry with the key the first request used reattaches
 * to that request's job (waiting or streaming its events) instead of queueing the prompt again.
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let openai: OpenAI;
let anthropic: Anthropic;
// The official clients send no Idempotency-Key by themselves (openai's `idempotencyKey` request
// option is only honoured by clients configured with an idempotency header): it goes as a header.

beforeAll(async () => {
  system = await startSystem({
    workers: 1,
    simulatorModels: {
      // Slow enough that a retry arrives while the first request's job still runs.
      'sim-gpt-strong': { latencyMs: 1500 },
      'sim-claude-strong': { latencyMs: 1500 },
      // A paced stream: the first client leaves after one delta, long before the end.
      'sim-gpt-fast': { tokensPerSecond: 20 },
    },
  });
  openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

/** Provider calls the simulator received for one job. */
function callsOf(jobId: string | null): number {
  expect(jobId).toMatch(/^job_/);
  return system.simulator
    .counters()
    .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId).length;
}

describe('POST /v1/chat/completions with an Idempotency-Key', () => {
  it('answers a concurrent retry and a later one from the same job', async () => {
    const body = {
      model: 'sim-gpt-strong',
      messages: [{ role: 'user' as const, content: 'echo: one job for two requests' }],
      max_tokens: 20,
    };
    const [first, second] = await Promise.all(
      [0, 1].map((delay) =>
        new Promise((resolve) => setTimeout(resolve, delay * 300)).then(() =>
          openai.chat.completions
            .create(body, { headers: { 'Idempotency-Key': 'chat-key-1' } })
            .withResponse(),
        ),
      ),
    );
    expect(first?.data.choices[0]?.message.content).toBe('one job for two requests');
    expect({ ...second?.data, created: 0 }).toEqual({ ...first?.data, created: 0 });
    const jobId = first?.response.headers.get('x-llmq-job-id') ?? null;
    expect(second?.response.headers.get('x-llmq-job-id')).toBe(jobId);
    const later = await openai.chat.completions
      .create(body, { headers: { 'Idempotency-Key': 'chat-key-1' } })
      .withResponse();
    // `created` is when each request was answered; everything else is the job's one answer.
    expect({ ...later.data, created: 0 }).toEqual({ ...first?.data, created: 0 });
    expect(callsOf(jobId)).toBe(1);
  });

  it('refuses the same key with another body: 422 in OpenAI error shape', async () => {
    const body = {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user' as const, content: 'echo: first body' }],
    };
    await openai.chat.completions.create(body, { headers: { 'Idempotency-Key': 'chat-key-2' } });
    const refused = await openai.chat.completions
      .create(
        { ...body, messages: [{ role: 'user', content: 'echo: another body' }] },
        { headers: { 'Idempotency-Key': 'chat-key-2' } },
      )
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).code).toBe('idempotency_key_reused');
  });

  it('reattaches a streamed retry to the job the dropped stream started, from its first delta', async () => {
    const body = {
      model: 'sim-gpt-fast',
      messages: [
        { role: 'user' as const, content: 'echo: alpha bravo charlie delta echo foxtrot' },
      ],
      stream: true as const,
    };
    const abort = new AbortController();
    const { data: dropped, response } = await openai.chat.completions
      .create(body, { headers: { 'Idempotency-Key': 'chat-key-3' }, signal: abort.signal })
      .withResponse();
    const jobId = response.headers.get('x-llmq-job-id');
    for await (const chunk of dropped) {
      if (chunk.choices[0]?.delta.content) break; // the client leaves after its first delta
    }
    abort.abort();
    const retry = await openai.chat.completions
      .create(body, { headers: { 'Idempotency-Key': 'chat-key-3' } })
      .withResponse();
    expect(retry.response.headers.get('x-llmq-job-id')).toBe(jobId);
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of retry.data) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('alpha bravo charlie delta echo foxtrot');
    expect(finish).toBe('stop');
    const job = await system.request('GET', `/v1/jobs/${jobId}`);
    expect(job.body.status).toBe('completed');
    expect(callsOf(jobId)).toBe(1);
  });
});

describe('POST /v1/messages with an Idempotency-Key', () => {
  it('answers both requests from one job', async () => {
    const body = {
      model: 'sim-claude-strong',
      max_tokens: 20,
      messages: [{ role: 'user' as const, content: 'echo: one message job' }],
    };
    const options = { headers: { 'Idempotency-Key': 'messages-key-1' } };
    const [first, second] = await Promise.all([
      anthropic.messages.create(body, options).withResponse(),
      new Promise((resolve) => setTimeout(resolve, 300)).then(() =>
        anthropic.messages.create(body, options).withResponse(),
      ),
    ]);
    expect(first.data.content).toEqual([{ type: 'text', text: 'one message job' }]);
    expect(second.data).toEqual(first.data);
    const jobId = first.response.headers.get('x-llmq-job-id');
    expect(second.response.headers.get('x-llmq-job-id')).toBe(jobId);
    expect(callsOf(jobId)).toBe(1);
  });

  it('keeps the key apart from the OpenAI route: one key on both is a conflict', async () => {
    await anthropic.messages.create(
      {
        model: 'sim-claude-fast',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'echo: shared' }],
      },
      { headers: { 'Idempotency-Key': 'shared-key' } },
    );
    const refused = await openai.chat.completions
      .create(
        {
          model: 'sim-claude-fast',
          max_tokens: 10,
          messages: [{ role: 'user', content: 'echo: shared' }],
        },
        { headers: { 'Idempotency-Key': 'shared-key' } },
      )
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.UnprocessableEntityError);
  });
});

describe('POST /v1/responses with an Idempotency-Key', () => {
  it('answers a concurrent retry and a later one from the same job and stored response', async () => {
    const body = { model: 'sim-gpt-strong', input: 'echo: one response for two requests' };
    const options = { headers: { 'Idempotency-Key': 'responses-key-1' } };
    const [first, second] = await Promise.all([
      openai.responses.create(body, options).withResponse(),
      new Promise((resolve) => setTimeout(resolve, 300)).then(() =>
        openai.responses.create(body, options).withResponse(),
      ),
    ]);
    expect(first.data.output_text).toBe('one response for two requests');
    expect(second.data).toEqual(first.data);
    const jobId = first.response.headers.get('x-llmq-job-id');
    expect(second.response.headers.get('x-llmq-job-id')).toBe(jobId);
    const later = await openai.responses.create(body, options);
    expect(later).toEqual(first.data);
    expect(await openai.responses.retrieve(first.data.id)).toEqual(first.data);
    expect(callsOf(jobId)).toBe(1);
  });
});
