import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { apiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
/** The API's REQUEST_TIMEOUT_MS in this file, ms. */
const requestTimeoutMs = 1000;
let system: System;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  system = await startSystem({
    workers: 1,
    env: { JOB_ATTEMPTS: '2' },
    // Shorter than the slow model's answer below: sync routes must outlive it, and answer once.
    apiEnv: { REQUEST_TIMEOUT_MS: String(requestTimeoutMs) },
    simulatorModels: {
      // Paced, so a stream arrives as several deltas through Redis rather than one burst.
      'sim-gpt-strong': { tokensPerSecond: 400 },
      'sim-claude-strong': { tokensPerSecond: 400 },
    },
  });
  openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

/** Job records under this system's prefix (the job store's hashes, one per job). */
async function jobCount(): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await system.redis.scan(
      cursor,
      'MATCH',
      `${system.prefix}:job:job_*`,
      'COUNT',
      1000,
    );
    cursor = next;
    count += keys.filter((key) => /:job:job_[0-9a-f]{32}$/.test(key)).length;
  } while (cursor !== '0');
  return count;
}

const words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima';

describe('the official openai client against /v1/chat/completions', () => {
  it('answers a non-streamed completion through a worker, with usage and llmq headers', async () => {
    const { data, response } = await openai.chat.completions
      .create({
        model: 'sim-gpt-fast',
        messages: [
          { role: 'system', content: 'You repeat what you are told.' },
          { role: 'user', content: 'echo: hello from openai' },
        ],
        max_tokens: 50,
      })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0]?.message).toMatchObject({
      role: 'assistant',
      content: 'hello from openai',
    });
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.model).toBe('sim-gpt-fast');
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage?.total_tokens).toBe(
      (data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0),
    );
    const jobId = response.headers.get('x-llmq-job-id');
    expect(data.id).toBe(`chatcmpl-${jobId}`);
    expect(response.headers.get('x-llmq-model')).toBe('sim-gpt-fast');
    expect(response.headers.get('x-llmq-provider')).toBe('simulator-openai');
    expect(response.headers.get('x-llmq-cached')).toBe('false');
    // It really went through the queue: a job record exists and the simulator saw its id.
    const job = await system.request('GET', `/v1/jobs/${jobId}`);
    expect(job.body).toMatchObject({ status: 'completed', result: { text: 'hello from openai' } });
    // The cost header is the job's recorded provider spend (catalog price × usage).
    expect(Number(response.headers.get('x-llmq-cost-usd'))).toBe(job.body.result.cost_usd);
    expect(job.body.result.cost_usd).toBeGreaterThan(0);
    const calls = system.simulator
      .counters()
      .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId);
    expect(calls).toHaveLength(1);
  });

  it('streams chunks built from the worker deltas, then the usage chunk and [DONE]', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'sim-gpt-strong',
        messages: [{ role: 'user', content: `echo: ${words}` }],
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(words);
    const contentChunks = chunks.filter((chunk) => chunk.choices[0]?.delta.content);
    expect(contentChunks.length).toBeGreaterThan(1);
    const finishes = chunks.filter((chunk) => chunk.choices[0]?.finish_reason);
    expect(finishes.map((chunk) => chunk.choices[0]?.finish_reason)).toEqual(['stop']);
    const last = chunks[chunks.length - 1];
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last?.usage?.total_tokens).toBe(
      (last?.usage?.prompt_tokens ?? 0) + (last?.usage?.completion_tokens ?? 0),
    );
    const jobId = response.headers.get('x-llmq-job-id');
    expect(chunks.every((chunk) => chunk.id === `chatcmpl-${jobId}`)).toBe(true);
  });

  it('answers an unknown model 404 in OpenAI shape (NotFoundError), keeping llmq codes', async () => {
    const error = await openai.chat.completions
      .create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    const apiError = error as InstanceType<typeof OpenAI.NotFoundError>;
    expect(apiError.code).toBe('model_not_found');
    expect(apiError.type).toBe('invalid_request_error');
  });
});

describe('the official @anthropic-ai/sdk client against /v1/messages', () => {
  it('answers a non-streamed message through a worker', async () => {
    const { data, response } = await anthropic.messages
      .create({
        model: 'sim-claude-fast',
        max_tokens: 50,
        system: 'You repeat what you are told.',
        messages: [{ role: 'user', content: 'echo: hello from anthropic' }],
      })
      .withResponse();
    expect(data.type).toBe('message');
    expect(data.content).toEqual([{ type: 'text', text: 'hello from anthropic' }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-llmq-provider')).toBe('simulator-anthropic');
    expect(data.id).toBe(`msg_${response.headers.get('x-llmq-job-id')}`);
  });

  it('streams Anthropic events and assembles the final message with usage', async () => {
    const stream = anthropic.messages.stream({
      model: 'sim-claude-strong',
      max_tokens: 100,
      messages: [{ role: 'user', content: `echo: ${words}` }],
    });
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(words);
    expect(message.content).toEqual([{ type: 'text', text: words }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
  });

  it('answers an unknown model 404 in Anthropic shape (NotFoundError), keeping llmq codes', async () => {
    const error = await anthropic.messages
      .create({
        model: 'no-such-model',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error', code: 'model_not_found' },
    });
    expect((error as InstanceType<typeof Anthropic.NotFoundError>).requestID).toBeTruthy();
  });
});

describe('honest streams', () => {
  beforeEach(() => {
    system.simulator.configure({
      models: { 'sim-local-llama': { tokensPerSecond: 200, faults: { cutStream: 1 } } },
    });
  });
  afterEach(() => {
    system.simulator.configure({
      models: { 'sim-local-llama': { tokensPerSecond: 0, faults: { cutStream: 0 } } },
    });
  });

  it('ends an OpenAI stream whose upstream broke with an error chunk, never a clean stop', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'sim-local-llama',
        messages: [{ role: 'user', content: `echo: ${words} ${words}` }],
        stream: true,
      })
      .withResponse();
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    const error = await (async () => {
      for await (const chunk of stream) chunks.push(chunk);
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('job_failed');
    // Part of the answer arrived before the break, and nothing pretended to finish.
    expect(chunks.some((chunk) => chunk.choices[0]?.delta.content)).toBe(true);
    expect(chunks.some((chunk) => chunk.choices[0]?.finish_reason)).toBe(false);
    const job = await system.waitForJob(response.headers.get('x-llmq-job-id') ?? '');
    expect(job).toMatchObject({
      status: 'failed',
      error: { code: 'provider_stream_interrupted' },
    });
    // Deltas had gone out, so the job was not retried (a retry would repeat text).
    expect(job.attempts).toBe(1);
  });

  it('ends an Anthropic stream whose upstream broke with an error event', async () => {
    const stream = anthropic.messages.stream({
      model: 'sim-local-llama',
      max_tokens: 100,
      messages: [{ role: 'user', content: `echo: ${words}` }],
    });
    const texts: string[] = [];
    stream.on('text', (delta) => texts.push(delta));
    const error = await stream.finalMessage().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'api_error', code: 'job_failed' },
    });
    expect(texts.length).toBeGreaterThan(0);
  });
});

describe('sync requests slower than the API request timeout', () => {
  const slowMs = 2500;
  beforeAll(() => {
    system.simulator.configure({
      models: { 'sim-gpt-fast': { latencyMs: slowMs }, 'sim-claude-fast': { latencyMs: slowMs } },
    });
  });
  afterAll(() => {
    system.simulator.configure({
      models: { 'sim-gpt-fast': { latencyMs: 0 }, 'sim-claude-fast': { latencyMs: 0 } },
    });
  });

  it('are answered once to the official clients with default retries: one job and one provider call each', async () => {
    // Default retries (2) and timeouts: exactly how applications use these clients.
    const openaiDefaults = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey });
    const anthropicDefaults = new Anthropic({ baseURL: system.apiUrl, apiKey });
    const jobsBefore = await jobCount();
    const callsBefore = system.simulator.counters().total;
    const startedAt = Date.now();
    const [first, second, third, fourth] = await Promise.all([
      openaiDefaults.chat.completions
        .create({ model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'echo: slow one' }] })
        .withResponse(),
      openaiDefaults.chat.completions
        .create({ model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'echo: slow two' }] })
        .withResponse(),
      anthropicDefaults.messages
        .create({
          model: 'sim-claude-fast',
          max_tokens: 20,
          messages: [{ role: 'user', content: 'echo: slow three' }],
        })
        .withResponse(),
      anthropicDefaults.messages
        .create({
          model: 'sim-claude-fast',
          max_tokens: 20,
          messages: [{ role: 'user', content: 'echo: slow four' }],
        })
        .withResponse(),
    ]);
    // Precondition: every answer came after the API's request timeout had passed.
    expect(Date.now() - startedAt).toBeGreaterThan(requestTimeoutMs + 1000);
    expect(first.data.choices[0]?.message.content).toBe('slow one');
    expect(second.data.choices[0]?.message.content).toBe('slow two');
    expect(third.data.content).toEqual([{ type: 'text', text: 'slow three' }]);
    expect(fourth.data.content).toEqual([{ type: 'text', text: 'slow four' }]);
    // Each SDK finds its request id where it looks for it.
    expect(first.response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    expect(third.response.headers.get('request-id')).toMatch(/^req_[0-9a-f]{32}$/);

    const jobIds = [first, second, third, fourth].map(
      ({ response }) => response.headers.get('x-llmq-job-id') ?? '',
    );
    expect(new Set(jobIds).size).toBe(4);
    expect(await jobCount()).toBe(jobsBefore + 4);
    const counters = system.simulator.counters();
    expect(counters.total).toBe(callsBefore + 4);
    for (const jobId of jobIds) {
      expect(
        counters.recent.filter((call) => call.headers['x-llmq-job-id'] === jobId),
      ).toHaveLength(1);
    }
  });
});
