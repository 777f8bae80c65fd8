import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { apiKey, otherTenantApiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
  openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

// The simulator does not record prompts, so each test counts calls by model and total instead.
const providerCalls = () => system.simulator.counters().total;

describe('the exact cache on the sync endpoints', () => {
  const request = (content: string) => ({
    model: 'sim-gpt-fast',
    temperature: 0,
    messages: [{ role: 'user' as const, content }],
  });

  it('answers a repeated deterministic request from the API, without the queue or a provider call', async () => {
    const first = await openai.chat.completions.create(request('echo: cache me')).withResponse();
    expect(first.response.headers.get('x-llmq-cached')).toBe('false');
    const calls = providerCalls();

    const again = await openai.chat.completions.create(request('echo: cache me')).withResponse();
    expect(again.response.headers.get('x-llmq-cached')).toBe('true');
    expect(again.response.headers.get('x-llmq-job-id')).toBeNull(); // no job was queued
    expect(again.data.choices[0]?.message.content).toBe('cache me');
    expect(again.data.usage).toEqual(first.data.usage);
    expect(providerCalls()).toBe(calls);

    // A streamed request gets the cached answer as a stream.
    const stream = await openai.chat.completions
      .create({ ...request('echo: cache me'), stream: true })
      .withResponse();
    expect(stream.response.headers.get('x-llmq-cached')).toBe('true');
    let text = '';
    const fingerprints = new Set<string | null | undefined>();
    for await (const chunk of stream.data) {
      text += chunk.choices[0]?.delta?.content ?? '';
      fingerprints.add(chunk.system_fingerprint);
    }
    expect(text).toBe('cache me');
    // Every chunk carries the fingerprint the cached answer recorded, from the first one.
    expect([...fingerprints]).toEqual([first.data.system_fingerprint]);
    expect(first.data.system_fingerprint).toBe('fp_llmq_sim');
    expect(providerCalls()).toBe(calls);
  });

  it('misses on any change that can change the answer, and never crosses tenants', async () => {
    await openai.chat.completions.create(request('echo: keyed'));
    const calls = providerCalls();
    await openai.chat.completions.create({ ...request('echo: keyed'), max_tokens: 7 });
    await openai.chat.completions.create({ ...request('echo: keyed'), model: 'sim-gpt-strong' });
    await openai.chat.completions.create({
      ...request('echo: keyed'),
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'echo: keyed' },
      ],
    });
    const other = new OpenAI({
      baseURL: `${system.apiUrl}/v1`,
      apiKey: otherTenantApiKey,
      maxRetries: 0,
    });
    const theirs = await other.chat.completions.create(request('echo: keyed')).withResponse();
    expect(theirs.response.headers.get('x-llmq-cached')).toBe('false');
    expect(providerCalls()).toBe(calls + 4);
  });

  it('does not cache a sampled request, and Cache-Control: no-cache reaches the provider', async () => {
    await openai.chat.completions.create({ ...request('echo: sampled'), temperature: 0.8 });
    const calls = providerCalls();
    const sampled = await openai.chat.completions
      .create({ ...request('echo: sampled'), temperature: 0.8 })
      .withResponse();
    expect(sampled.response.headers.get('x-llmq-cached')).toBe('false');
    expect(providerCalls()).toBe(calls + 1);

    await openai.chat.completions.create(request('echo: refresh me'));
    const before = providerCalls();
    const refreshed = await openai.chat.completions
      .create(request('echo: refresh me'), { headers: { 'Cache-Control': 'no-cache' } })
      .withResponse();
    expect(refreshed.response.headers.get('x-llmq-cached')).toBe('false');
    expect(providerCalls()).toBe(before + 1);
  });

  it('never caches a failure: after a provider 400 the same request reaches the provider again', async () => {
    system.simulator.configure({ models: { 'sim-claude-strong': { faults: { status400: 1 } } } });
    const failing = {
      model: 'sim-claude-strong',
      temperature: 0,
      messages: [{ role: 'user' as const, content: 'echo: not cached' }],
      fallbacks: false,
    };
    const failed = await system.request('POST', '/v1/jobs', { ...failing, priority: 1 });
    const job = await system.waitForJob(failed.body.id);
    expect(job.status).toBe('failed');
    system.simulator.configure({ models: { 'sim-claude-strong': { faults: { status400: 0 } } } });
    const calls = providerCalls();
    const retried = await system.waitForJob(await system.submit(failing));
    expect(retried).toMatchObject({ status: 'completed', result: { text: 'not cached' } });
    expect(retried.result.cached).toBeUndefined();
    expect(providerCalls()).toBe(calls + 1);
  });
});

describe('the exact cache on POST /v1/jobs', () => {
  it('answers a repeated job in the worker, marked cached, free, with the cost it saved', async () => {
    const body = { model: 'sim-gpt-fast', prompt: 'echo: async cached', temperature: 0 };
    const first = await system.waitForJob(await system.submit(body));
    expect(first.result.cost_usd).toBeGreaterThan(0);
    const calls = providerCalls();
    const second = await system.waitForJob(await system.submit(body));
    expect(second.result).toMatchObject({
      text: 'async cached',
      cached: true,
      cost_usd: 0,
      saved_cost_usd: first.result.cost_usd,
    });
    expect(providerCalls()).toBe(calls);
  });
});

describe('the exact cache with model "auto", on every path', () => {
  const auto = (content: string) => ({
    model: 'auto',
    temperature: 0,
    messages: [{ role: 'user' as const, content }],
  });

  it('answers a repeated auto chat completion from the cache, streamed or not, keyed by the routed model', async () => {
    const first = await openai.chat.completions.create(auto('echo: auto chat')).withResponse();
    expect(first.response.headers.get('x-llmq-cached')).toBe('false');
    const routed = first.response.headers.get('x-llmq-model');
    expect(routed).toBeTruthy();
    expect(routed).not.toBe('auto');
    const calls = providerCalls();

    const again = await openai.chat.completions.create(auto('echo: auto chat')).withResponse();
    expect(again.response.headers.get('x-llmq-cached')).toBe('true');
    expect(again.response.headers.get('x-llmq-job-id')).toBeNull();
    expect(again.response.headers.get('x-llmq-model')).toBe(routed);
    expect(again.data.choices[0]?.message.content).toBe('auto chat');

    const stream = await openai.chat.completions
      .create({ ...auto('echo: auto chat'), stream: true })
      .withResponse();
    expect(stream.response.headers.get('x-llmq-cached')).toBe('true');
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).toBe('auto chat');

    // The route is the key: naming the routed model explicitly hits the same entry.
    const named = await openai.chat.completions
      .create({ ...auto('echo: auto chat'), model: routed ?? '' })
      .withResponse();
    expect(named.response.headers.get('x-llmq-cached')).toBe('true');
    expect(providerCalls()).toBe(calls);
  });

  it('answers a repeated auto message from the cache', async () => {
    const body = { ...auto('echo: auto message'), max_tokens: 30 };
    const first = await anthropic.messages.create(body).withResponse();
    expect(first.response.headers.get('x-llmq-cached')).toBe('false');
    const calls = providerCalls();
    const again = await anthropic.messages.create(body).withResponse();
    expect(again.response.headers.get('x-llmq-cached')).toBe('true');
    expect(again.data.content).toEqual([{ type: 'text', text: 'auto message' }]);
    expect(providerCalls()).toBe(calls);
  });

  it('answers a repeated auto job in the worker, and a sync request for what a job answered', async () => {
    const body = { model: 'auto', prompt: 'echo: auto job', temperature: 0 };
    const first = await system.waitForJob(await system.submit(body));
    expect(first.result.cached).toBeUndefined();
    const calls = providerCalls();
    const second = await system.waitForJob(await system.submit(body));
    expect(second.result).toMatchObject({
      text: 'auto job',
      cached: true,
      model: first.result.model,
    });

    // The job's answer is in the cache the API reads: a sync request of the same prompt hits.
    const sync = await openai.chat.completions.create(auto('echo: auto job')).withResponse();
    expect(sync.response.headers.get('x-llmq-cached')).toBe('true');
    expect(sync.data.choices[0]?.message.content).toBe('auto job');
    expect(providerCalls()).toBe(calls);
  });

  it('misses when the requirements route the same prompt to another model', async () => {
    const body = { model: 'auto', prompt: 'echo: auto requirements', temperature: 0 };
    const plain = await system.waitForJob(await system.submit(body));
    const strong = await system.waitForJob(
      await system.submit({ ...body, requirements: { high_quality: true } }),
    );
    // Precondition: the two route differently.
    expect(strong.result.model).not.toBe(plain.result.model);
    expect(strong.result.cached).toBeUndefined();
  });
});
