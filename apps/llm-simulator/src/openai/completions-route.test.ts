import { type RunningSimulator, startSimulator } from '../start-simulator';
import { collect, openAiClient } from '../test-support/sdk-clients';

describe('POST /v1/completions', () => {
  let simulator: RunningSimulator;

  beforeEach(async () => {
    simulator = await startSimulator();
  });

  afterEach(async () => {
    await simulator.close();
  });

  it('answers one choice per prompt of a batch, with summed usage', async () => {
    const client = openAiClient(simulator);
    const prompts = ['First prompt', 'Second prompt', 'echo: third'];
    const completion = await client.completions.create({
      model: 'sim-local-llama',
      prompt: prompts,
    });

    expect(completion.id).toMatch(/^cmpl-/);
    expect(completion.object).toBe('text_completion');
    expect(completion.choices.map((choice) => choice.index)).toEqual([0, 1, 2]);
    expect(completion.choices[0]?.text.startsWith('[sim] ')).toBe(true);
    expect(completion.choices[2]?.text).toBe('third');
    expect(completion.choices.every((choice) => choice.finish_reason === 'stop')).toBe(true);

    const singles = await Promise.all(
      prompts.map((prompt) => client.completions.create({ model: 'sim-local-llama', prompt })),
    );
    // Batching never changes an answer, and usage adds up.
    expect(singles.map((single) => single.choices[0]?.text)).toEqual(
      completion.choices.map((choice) => choice.text),
    );
    const sum = (key: 'prompt_tokens' | 'completion_tokens') =>
      singles.reduce((total, single) => total + (single.usage?.[key] ?? 0), 0);
    expect(completion.usage?.prompt_tokens).toBe(sum('prompt_tokens'));
    expect(completion.usage?.completion_tokens).toBe(sum('completion_tokens'));
    expect(simulator.counters().recent[0]?.inputCount).toBe(3);
  });

  it('streams each prompt with the same text as the whole answer', async () => {
    const client = openAiClient(simulator);
    const request = { model: 'sim-local-llama', prompt: ['alpha', 'beta'] };
    const whole = await client.completions.create(request);
    const chunks = await collect(
      await client.completions.create({
        ...request,
        stream: true,
        stream_options: { include_usage: true },
      }),
    );
    const textOf = (index: number) =>
      chunks
        .flatMap((chunk) =>
          chunk.choices.filter((choice) => choice.index === index).map((choice) => choice.text),
        )
        .join('');
    expect(textOf(0)).toBe(whole.choices[0]?.text);
    expect(textOf(1)).toBe(whole.choices[1]?.text);
    expect(chunks.at(-1)?.usage).toEqual(whole.usage);
  });

  it('charges perCallOverheadMs once per call, however many prompts it carries', async () => {
    simulator.configure({ models: { 'sim-local-llama': { perCallOverheadMs: 150 } } });
    const client = openAiClient(simulator);
    const prompts = Array.from({ length: 8 }, (_, index) => `prompt ${index}`);

    const batchStarted = performance.now();
    await client.completions.create({ model: 'sim-local-llama', prompt: prompts });
    const batchMs = performance.now() - batchStarted;

    const oneByOneStarted = performance.now();
    for (const prompt of prompts.slice(0, 3))
      await client.completions.create({ model: 'sim-local-llama', prompt });
    const oneByOneMs = performance.now() - oneByOneStarted;

    expect(batchMs).toBeGreaterThanOrEqual(140);
    expect(oneByOneMs).toBeGreaterThanOrEqual(3 * 140);
    expect(batchMs).toBeLessThan(oneByOneMs);
  });

  it('rejects token-array prompts with a 400', async () => {
    const response = await fetch(`${simulator.url}/v1/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sim', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sim-local-llama', prompt: [[1, 2, 3]] }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: 'invalid_request_error', param: 'prompt' },
    });
  });
});
