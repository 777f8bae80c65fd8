import { cosineSimilarity } from '../embeddings/embed-text';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { openAiClient } from '../test-support/sdk-clients';

describe('POST /v1/embeddings', () => {
  let simulator: RunningSimulator;

  beforeEach(async () => {
    simulator = await startSimulator();
  });

  afterEach(async () => {
    await simulator.close();
  });

  const inputs = [
    'What is the capital of France?',
    "what's the capital of france",
    'How do I bake a chocolate cake?',
  ];

  it('answers float embeddings that place paraphrases together and unrelated texts apart', async () => {
    const client = openAiClient(simulator);
    const response = await client.embeddings.create({
      model: 'sim-embed-small',
      input: inputs,
      encoding_format: 'float',
    });

    expect(response.object).toBe('list');
    expect(response.model).toBe('sim-embed-small');
    expect(response.data.map((item) => item.index)).toEqual([0, 1, 2]);
    const [capital, paraphrase, cake] = response.data.map((item) => item.embedding);
    expect(capital).toHaveLength(256);
    expect(cosineSimilarity(capital!, paraphrase!)).toBeGreaterThan(0.9);
    expect(cosineSimilarity(capital!, cake!)).toBeLessThan(0.5);
    expect(response.usage.prompt_tokens).toBeGreaterThan(0);
    expect(response.usage.total_tokens).toBe(response.usage.prompt_tokens);
  });

  it('answers base64 (the SDK default) with the same vectors, and honours dimensions', async () => {
    const client = openAiClient(simulator);
    const asFloat = await client.embeddings.create({
      model: 'sim-embed-small',
      input: inputs[0]!,
      encoding_format: 'float',
    });
    // Without encoding_format the SDK asks for base64 and decodes it into floats itself.
    const viaBase64 = await client.embeddings.create({
      model: 'sim-embed-small',
      input: inputs[0]!,
    });
    expect(Array.from(viaBase64.data[0]!.embedding)).toEqual(asFloat.data[0]!.embedding);

    const raw = await client.embeddings.create({
      model: 'sim-embed-small',
      input: 'x',
      encoding_format: 'base64',
    });
    expect(typeof raw.data[0]?.embedding).toBe('string');

    const small = await client.embeddings.create({
      model: 'sim-embed-small',
      input: 'x',
      dimensions: 64,
      encoding_format: 'float',
    });
    expect(small.data[0]?.embedding).toHaveLength(64);
  });

  it('accepts token arrays and rejects empty strings', async () => {
    const client = openAiClient(simulator);
    const tokens = await client.embeddings.create({
      model: 'sim-embed-small',
      input: [[3923, 374]],
      encoding_format: 'float',
    });
    expect(tokens.usage.prompt_tokens).toBe(2);
    await expect(
      client.embeddings.create({ model: 'sim-embed-small', input: '' }),
    ).rejects.toMatchObject({ status: 400 });
  });
});
