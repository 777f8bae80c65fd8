import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { type RunningSimulator, startSimulator } from '../start-simulator';
import { openAiClient } from '../test-support/sdk-clients';

const Ingredient = z.object({
  name: z.string(),
  grams: z.number().int().min(1).max(1000),
  kind: z.enum(['dry', 'wet']),
});
const Recipe = z.object({
  title: z.string(),
  servings: z.number().int().min(1).max(12),
  vegetarian: z.boolean(),
  ingredients: z.array(Ingredient).min(1),
  note: z.string().nullable(),
});

describe('POST /v1/chat/completions with response_format', () => {
  let simulator: RunningSimulator;

  beforeEach(async () => {
    simulator = await startSimulator();
  });

  afterEach(async () => {
    await simulator.close();
  });

  it('answers chat.completions.parse with an object valid against the zod schema', async () => {
    const client = openAiClient(simulator);
    const request = {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user' as const, content: 'A recipe for bread.' }],
      response_format: zodResponseFormat(Recipe, 'recipe'),
    };
    const completion = await client.chat.completions.parse(request);
    const parsed = completion.choices[0]?.message.parsed;
    expect(parsed).not.toBeNull();
    expect(Recipe.parse(parsed)).toEqual(parsed);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    // Deterministic: the same request gives the same object, streamed or not.
    const again = await client.chat.completions.parse(request);
    expect(again.choices[0]?.message.parsed).toEqual(parsed);
    const streamed = await client.chat.completions.stream(request).finalChatCompletion();
    expect(streamed.choices[0]?.message.parsed).toEqual(parsed);
  });

  it('answers json_object with JSON, and wants the word json in the messages as OpenAI does', async () => {
    const client = openAiClient(simulator);
    const completion = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'Answer in JSON.' }],
      response_format: { type: 'json_object' },
    });
    const content = completion.choices[0]?.message.content ?? '';
    expect(JSON.parse(content)).toEqual({ result: expect.stringMatching(/^\[sim\] /) });
    await expect(
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'Answer.' }],
        response_format: { type: 'json_object' },
      }),
    ).rejects.toMatchObject({ status: 400, param: 'messages' });
    // Streamed, the refusal comes before any chunk, as a 400 too.
    await expect(
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'Answer.' }],
        response_format: { type: 'json_object' },
        stream: true,
      }),
    ).rejects.toMatchObject({ status: 400, param: 'messages' });
  });

  it.each([
    ['a subschema that is a number', { type: 'object', properties: { a: 5 } }],
    ['a null anyOf branch', { anyOf: [null] }],
    ['a minLength past what can be built', { type: 'string', minLength: 50_000_000 }],
  ])('refuses %s with a 400 and keeps answering', async (_name, schema) => {
    // A 2-second timeout: the huge minLength used to block the server and time the call out.
    const client = openAiClient(simulator, { timeout: 2000 });
    await expect(
      client.chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'Fill it.' }],
        response_format: { type: 'json_schema', json_schema: { name: 'broken', schema } },
      }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'response_format',
      type: 'invalid_request_error',
    });
    const next = await client.chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'echo: still here' }],
    });
    expect(next.choices[0]?.message.content).toBe('still here');
  });

  it('refuses response_format on a model without json_schema', async () => {
    simulator.configure({ models: { 'sim-local-llama': { capabilities: { jsonSchema: false } } } });
    await expect(
      openAiClient(simulator).chat.completions.create({
        model: 'sim-local-llama',
        messages: [{ role: 'user', content: 'A recipe.' }],
        response_format: zodResponseFormat(Recipe, 'recipe'),
      }),
    ).rejects.toMatchObject({
      status: 400,
      param: 'response_format',
      code: 'unsupported_parameter',
    });
  });

  it('refuses a schema too large to fill with a 400 naming response_format', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    await expect(
      openAiClient(simulator).chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'Fill it.' }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'explosive',
            schema: {
              type: 'object',
              properties: Object.fromEntries(names.map((name) => [name, { $ref: '#' }])),
              required: names,
            },
          },
        },
      }),
    ).rejects.toMatchObject({ status: 400, param: 'response_format' });
  });
});

describe('POST /v1/chat/completions with strict schemas', () => {
  let simulator: RunningSimulator;

  beforeAll(async () => {
    simulator = await startSimulator();
  });

  afterAll(async () => {
    await simulator.close();
  });

  const closed = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    type: 'object',
    properties,
    required: Object.keys(properties),
    additionalProperties: false,
    ...extra,
  });

  function withFormat(schema: Record<string, unknown>, strict = true) {
    return openAiClient(simulator).chat.completions.create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'Fill it.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'thing', strict, schema } },
    });
  }

  it('accepts what zodResponseFormat emits, strict', async () => {
    const format = zodResponseFormat(Recipe, 'recipe');
    expect(format.json_schema.strict).toBe(true);
    const completion = await openAiClient(simulator).chat.completions.parse({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'A recipe.' }],
      response_format: format,
    });
    expect(Recipe.parse(completion.choices[0]?.message.parsed)).toBeTruthy();
  });

  it.each([
    [
      'a root that is not an object',
      { type: 'array', items: { type: 'string' } },
      `Invalid schema for response_format 'thing': schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`,
    ],
    [
      'an object without additionalProperties: false',
      { ...closed({ a: { type: 'string' } }), additionalProperties: undefined },
      "Invalid schema for response_format 'thing': In context=(), 'additionalProperties' is required to be supplied and to be false.",
    ],
    [
      'a property missing from required, nested',
      closed({
        inner: { ...closed({ a: { type: 'string' }, b: { type: 'string' } }), required: ['a'] },
      }),
      "Invalid schema for response_format 'thing': In context=('properties', 'inner'), 'required' is required to be supplied and to be an array including every key in properties. Missing 'b'.",
    ],
    [
      'an unsupported keyword in array items',
      closed({ tags: { type: 'array', items: { type: 'string', minLength: 2 } } }),
      "Invalid schema for response_format 'thing': In context=('properties', 'tags', 'items'), 'minLength' is not permitted.",
    ],
    [
      'allOf in a $defs entry',
      closed({ a: { $ref: '#/$defs/A' } }, { $defs: { A: { allOf: [{ type: 'string' }] } } }),
      "Invalid schema for response_format 'thing': In context=('$defs', 'A'), 'allOf' is not permitted.",
    ],
  ])('refuses %s with OpenAI’s 400', async (_name, schema, message) => {
    const error = await withFormat(schema).catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      param: 'response_format',
      code: null,
    });
    expect((error as Error).message).toBe(`400 ${message}`);
    // Without strict, the same schema is used as given.
    const loose = await withFormat(schema, false);
    expect(loose.choices[0]?.finish_reason).toBe('stop');
  });

  it('honours a simple pattern, and answers a pattern it cannot follow with a plain word', async () => {
    const schema = closed({
      sku: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' },
      email: { type: 'string', pattern: '^[a-z]{3,8}@example\\.(com|org)$' },
      word: { type: 'string', pattern: '^(?=x)' },
    });
    const completion = await withFormat(schema);
    const value = JSON.parse(completion.choices[0]?.message.content ?? '');
    expect(value.sku).toMatch(/^[A-Z]{3}-\d{4}$/);
    expect(value.email).toMatch(/^[a-z]{3,8}@example\.(com|org)$/);
    expect(value.word).toMatch(/^[a-z]+$/);
  });

  it('refuses a strict tool whose parameters break the rules, naming the tool', async () => {
    const error = await openAiClient(simulator)
      .chat.completions.create({
        model: 'sim-gpt-fast',
        messages: [{ role: 'user', content: 'Call get_weather.' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              strict: true,
              parameters: { type: 'object', properties: { city: { type: 'string' } } },
            },
          },
        ],
      })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      status: 400,
      param: 'tools[0].function.parameters',
      code: 'invalid_function_parameters',
    });
    expect((error as Error).message).toContain(
      "Invalid schema for function 'get_weather': In context=(), 'additionalProperties'",
    );
  });
});
