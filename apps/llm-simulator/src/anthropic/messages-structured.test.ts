import { zodOutputFormat } from '@anthropic-ai/sdk/helpers/zod';
import { z } from 'zod';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { anthropicClient, collect } from '../test-support/sdk-clients';

// Numeric and length bounds are left out: the SDK moves them into descriptions, which the
// simulator does not read (see docs/simulator.md).
const Ingredient = z.object({ name: z.string(), kind: z.enum(['dry', 'wet']) });
const Recipe = z.object({
  title: z.string(),
  vegetarian: z.boolean(),
  ingredients: z.array(Ingredient),
  note: z.string().nullable(),
});

describe('POST /v1/messages with output_config.format', () => {
  let simulator: RunningSimulator;

  beforeEach(async () => {
    simulator = await startSimulator();
  });

  afterEach(async () => {
    await simulator.close();
  });

  const request = {
    model: 'sim-claude-fast',
    max_tokens: 1024,
    messages: [{ role: 'user' as const, content: 'A recipe for bread.' }],
    output_config: { format: zodOutputFormat(Recipe) },
  };

  it('answers messages.parse with an object valid against the zod schema, streamed too', async () => {
    const client = anthropicClient(simulator);
    const message = await client.messages.parse(request);
    expect(message.parsed_output).not.toBeNull();
    expect(Recipe.parse(message.parsed_output)).toEqual(message.parsed_output);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.content).toHaveLength(1);
    expect(message.content[0]?.type).toBe('text');

    // Deterministic: the same request gives the same object, whole or streamed.
    const streamed = await client.messages.stream(request).finalMessage();
    expect(streamed.parsed_output).toEqual(message.parsed_output);
    const events = await collect(await client.messages.create({ ...request, stream: true }));
    const deltas = events.flatMap((event) =>
      event.type === 'content_block_delta' && event.delta.type === 'text_delta'
        ? [event.delta.text]
        : [],
    );
    expect(deltas.length).toBeGreaterThan(1);
    expect(JSON.parse(deltas.join(''))).toEqual(message.parsed_output);
  });

  it('counts the schema in the input tokens', async () => {
    const client = anthropicClient(simulator);
    const { output_config: _format, ...plain } = request;
    const without = await client.messages.create(plain);
    const withFormat = await client.messages.create(request);
    expect(withFormat.usage.input_tokens).toBeGreaterThan(without.usage.input_tokens);
  });

  it('refuses output_config.format on a model without structured outputs', async () => {
    simulator.configure({ models: { 'sim-claude-fast': { capabilities: { jsonSchema: false } } } });
    await expect(anthropicClient(simulator).messages.create(request)).rejects.toMatchObject({
      status: 400,
      error: {
        error: {
          type: 'invalid_request_error',
          message: expect.stringContaining('output_config.format'),
        },
      },
    });
  });

  it('refuses output_config.effort, which is not simulated, naming it', async () => {
    await expect(
      anthropicClient(simulator).messages.create({
        ...request,
        output_config: { ...request.output_config, effort: 'high' },
      }),
    ).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringContaining('output_config.effort') } },
    });
  });

  it('refuses a schema too large to fill with a 400 naming output_config.format', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    await expect(
      anthropicClient(simulator).messages.create({
        ...request,
        output_config: {
          format: {
            type: 'json_schema',
            schema: {
              type: 'object',
              properties: Object.fromEntries(names.map((name) => [name, { $ref: '#' }])),
              required: names,
            },
          },
        },
      }),
    ).rejects.toMatchObject({
      status: 400,
      error: { error: { message: expect.stringMatching(/^output_config\.format: /) } },
    });
  });
});
