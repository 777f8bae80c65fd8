import type { SimulatorCounters } from '../counters/simulator-counters';
import type { SimulatorConfigSnapshot } from '../server/simulator-state';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { anthropicClient, openAiClient } from '../test-support/sdk-clients';

describe('counters and /_sim control routes', () => {
  let simulator: RunningSimulator;

  beforeEach(async () => {
    simulator = await startSimulator({ models: { 'sim-gpt-fast': { latencyMs: 1 } } });
  });

  afterEach(async () => {
    await simulator.close();
  });

  const control = (path: string, init?: RequestInit) =>
    fetch(`${simulator.url}/_sim/${path}`, init);

  it('counts calls by route, model, status and fault, with tokens and a request log', async () => {
    const openAi = openAiClient(simulator);
    const chat = await openAi.chat.completions.create(
      { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'Hi' }] },
      { headers: { 'x-llmq-job-id': 'job-7', 'x-llmq-attempt': '2' } },
    );
    const message = await anthropicClient(simulator).messages.create({
      model: 'sim-claude-fast',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hi' }],
    });
    await openAi.embeddings.create({ model: 'sim-embed-small', input: ['a', 'b'] });
    await openAi.chat.completions
      .create(
        { model: 'sim-gpt-fast', messages: [{ role: 'user', content: 'Hi' }] },
        { headers: { 'x-sim-fault': '500' } },
      )
      .catch(() => undefined);

    const counters = (await (await control('counters')).json()) as SimulatorCounters;
    expect(counters).toEqual(simulator.counters());
    expect(counters).toMatchObject({
      total: 4,
      byRoute: { '/v1/chat/completions': 2, '/v1/messages': 1, '/v1/embeddings': 1 },
      byModel: { 'sim-gpt-fast': 2, 'sim-claude-fast': 1, 'sim-embed-small': 1 },
      byStatus: { '200': 3, '500': 1 },
      faults: { '500': 1 },
      rateLimited: 0,
    });
    expect(counters.outputTokens).toBe(
      (chat.usage?.completion_tokens ?? 0) + message.usage.output_tokens,
    );
    expect(counters.inputTokens).toBeGreaterThan(
      (chat.usage?.prompt_tokens ?? 0) + message.usage.input_tokens,
    );
    expect(counters.recent).toHaveLength(4);
    expect(counters.recent[0]).toMatchObject({
      route: '/v1/chat/completions',
      model: 'sim-gpt-fast',
      status: 200,
      stream: false,
      inputCount: 1,
      headers: { 'x-llmq-job-id': 'job-7', 'x-llmq-attempt': '2' },
    });
    expect(counters.recent[2]).toMatchObject({ route: '/v1/embeddings', inputCount: 2 });
    expect(counters.recent[3]).toMatchObject({ status: 500, fault: '500' });
    expect(Math.abs((counters.recent[0]?.at ?? 0) - Date.now())).toBeLessThan(10_000);
  });

  it('configures, shows and resets through HTTP', async () => {
    const health = await control('health');
    expect(await health.json()).toEqual({ ok: true });

    const put = await control('config', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ models: { 'sim-new-model': { faults: { status500: 1 } } } }),
    });
    expect(put.status).toBe(200);
    const config = (await (await control('config')).json()) as SimulatorConfigSnapshot;
    expect(config.models['sim-new-model']?.faults).toMatchObject({
      status500: 1,
      retryAfterSeconds: 1,
    });
    expect(config.models['sim-gpt-fast']?.latencyMs).toBe(1);
    expect(config.defaultProfile.latencyMs).toBe(0);

    const models = await openAiClient(simulator).models.list();
    expect(models.data.map((model) => model.id)).toContain('sim-new-model');
    await expect(
      openAiClient(simulator).chat.completions.create({
        model: 'sim-new-model',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 500 });

    const invalid = await control('config', {
      method: 'PUT',
      body: JSON.stringify({ models: { 'sim-x': { rpm: -1 } } }),
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('rpm');

    expect((await control('reset', { method: 'POST' })).status).toBe(200);
    const afterReset = (await (await control('config')).json()) as SimulatorConfigSnapshot;
    expect(afterReset.models['sim-new-model']).toBeUndefined();
    expect(afterReset.models['sim-gpt-fast']?.latencyMs).toBe(1);
    expect(simulator.counters()).toMatchObject({
      total: 0,
      byRoute: {},
      recent: [],
      inputTokens: 0,
    });
  });

  it('lists models for both SDKs and answers unknown routes and methods', async () => {
    const openAiModels = await openAiClient(simulator).models.list();
    expect(openAiModels.data.map((model) => model.id)).toEqual(
      expect.arrayContaining(['sim-gpt-fast', 'sim-claude-strong', 'sim-embed-small']),
    );
    expect(openAiModels.data.every((model) => model.id.startsWith('sim-'))).toBe(true);
    const anthropicModels = await anthropicClient(simulator).models.list();
    expect(anthropicModels.data.map((model) => model.id)).toContain('sim-claude-fast');
    expect((await openAiClient(simulator).models.retrieve('sim-anything')).id).toBe('sim-anything');

    const unknown = await fetch(`${simulator.url}/v1/nothing`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const wrongMethod = await fetch(`${simulator.url}/v1/chat/completions`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});
