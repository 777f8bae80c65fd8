/**
 * The output filter on streamed answers, through the built API and a real worker: what the
 * tenant's policy redacts never reaches a streaming client, in the OpenAI and the Anthropic
 * dialect and through the Vercel AI SDK, and the streamed text (or tool call arguments) is
 * the stored (redacted) result's.
 */
import { createOpenAI } from '@ai-sdk/openai';
import Anthropic from '@anthropic-ai/sdk';
import { type JSONSchema7, jsonSchema, streamObject, streamText } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';
import { apiKey, startSystem } from './system-harness';

const adminKey = 'e2e-admin-key-000000000000000002';
const secret = 'sk-proj-Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz';
const email = 'jane.doe.private@example.org';
const card = '4111 1111 1111 1111';
const words = (count: number) =>
  Array.from({ length: count }, (_, index) => `word${index % 13}`).join(' ');
/** Long enough that the answer streams well past the filter's hold-back on both sides. */
const echoed = `${words(40)} the key is ${secret} and the address ${email} ${words(40)}`;

let system: Awaited<ReturnType<typeof startSystem>>;

beforeAll(async () => {
  // Paced as a model writes, so the answer reaches the client in many pieces.
  const paced = { tokensPerSecond: 400 };
  system = await startSystem({
    workers: 1,
    env: { ADMIN_API_KEY: adminKey },
    simulatorModels: { 'sim-gpt-fast': paced, 'sim-claude-fast': paced },
  });
  // The key may reach the model (input: flag) but not the client (output: redact, the
  // default); addresses are redacted from answers.
  const policy = await system.request(
    'PUT',
    '/v1/admin/tenants/e2e/filter-policy',
    { input: { detectors: { secret: 'flag' } }, output: { detectors: { email: 'redact' } } },
    { Authorization: `Bearer ${adminKey}` },
  );
  expect(policy.status).toBe(200);
});
afterAll(async () => {
  await system?.stop();
});

function expectRedacted(pieces: readonly string[]): void {
  // Still a stream: the text arrives in pieces while the model writes, not at its end.
  expect(pieces.length).toBeGreaterThan(5);
  for (const piece of pieces) {
    expect(piece).not.toContain('Zx9Qw8');
    expect(piece).not.toContain('jane.doe');
  }
  const text = pieces.join('');
  expect(text).toContain('the key is [SECRET] and the address [EMAIL] ');
}

it('streams an OpenAI chat answer with what the policy redacts redacted, as stored', async () => {
  const openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  const { data: stream, response } = await openai.chat.completions
    .create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: `echo: ${echoed}` }],
      max_tokens: 1000,
      stream: true,
    })
    .withResponse();
  const pieces: string[] = [];
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta.content;
    if (content) pieces.push(content);
  }
  expectRedacted(pieces);
  const job = await system.waitForJob(String(response.headers.get('x-llmq-job-id')));
  expect(job.status).toBe('completed');
  expect(job.result?.text).toBe(pieces.join(''));
  expect(job.result?.filter_findings).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ detector: 'secret', action: 'redact' }),
      expect.objectContaining({ detector: 'email', action: 'redact' }),
    ]),
  );
});

it('streams an Anthropic message with what the policy redacts redacted', async () => {
  const anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
  const stream = anthropic.messages.stream({
    model: 'sim-claude-fast',
    max_tokens: 1000,
    messages: [{ role: 'user', content: `echo: ${echoed}` }],
  });
  const pieces: string[] = [];
  stream.on('text', (delta) => pieces.push(delta));
  const message = await stream.finalMessage();
  expectRedacted(pieces);
  const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  expect(text).toBe(pieces.join(''));
});

/**
 * A tool whose arguments the simulator writes as given (`const`): compact JSON with no
 * whitespace, holding a key and an address the policy redacts.
 */
const lookupParameters = {
  type: 'object',
  properties: {
    city: { type: 'string', const: 'Paris' },
    unit: { type: 'string', const: 'celsius' },
    token: { type: 'string', const: secret },
    owner: { type: 'string', const: email },
    days: { type: 'array', items: { type: 'integer', const: 7 }, minItems: 3, maxItems: 3 },
    region: { type: 'string', const: 'eu-west-1' },
    // Written right after JSON escapes (`\n4111…` in the arguments text): the escape's letter
    // once hid them from the detectors, stored result included.
    note: { type: 'string', const: `call me\n${card}` },
    memo: { type: 'string', const: `key:\t${secret}` },
  },
  required: ['city', 'unit', 'token', 'owner', 'days', 'region', 'note', 'memo'],
  additionalProperties: false,
} satisfies JSONSchema7;
const lookupTool = {
  name: 'lookup_account',
  description: 'Look an account up',
  parameters: lookupParameters,
};
const expectedArguments = JSON.stringify({
  city: 'Paris',
  unit: 'celsius',
  token: '[SECRET]',
  owner: '[EMAIL]',
  days: [7, 7, 7],
  region: 'eu-west-1',
  note: 'call me\n[CARD]',
  memo: 'key:\t[SECRET]',
});

function expectStreamedArguments(pieces: readonly string[]): void {
  // Several deltas, not one at the call's end: the arguments hold no whitespace, so before
  // they broke at JSON punctuation they were held whole.
  expect(pieces.length).toBeGreaterThan(2);
  for (const piece of pieces) {
    expect(piece).not.toContain('Zx9Qw8');
    expect(piece).not.toContain('jane.doe');
    expect(piece).not.toContain('4111');
  }
  expect(pieces.join('')).toBe(expectedArguments);
}

it("streams an OpenAI tool call's arguments in several deltas, redacted as stored", async () => {
  const openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  const { data: stream, response } = await openai.chat.completions
    .create({
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'Look the account up.' }],
      tools: [{ type: 'function', function: lookupTool }],
      tool_choice: { type: 'function', function: { name: lookupTool.name } },
      stream: true,
    })
    .withResponse();
  const pieces: string[] = [];
  for await (const chunk of stream) {
    const piece = chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments;
    if (piece) pieces.push(piece);
  }
  expectStreamedArguments(pieces);
  const job = await system.waitForJob(String(response.headers.get('x-llmq-job-id')));
  expect(job.status).toBe('completed');
  expect(job.result?.message?.tool_calls?.[0]?.function.arguments).toBe(pieces.join(''));
});

it('streams an Anthropic tool_use input in several input_json_delta events', async () => {
  const anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
  const stream = anthropic.messages.stream({
    model: 'sim-claude-fast',
    max_tokens: 1000,
    messages: [{ role: 'user', content: 'Look the account up.' }],
    tools: [
      {
        name: lookupTool.name,
        description: lookupTool.description,
        input_schema: lookupTool.parameters,
      },
    ],
    tool_choice: { type: 'tool', name: lookupTool.name },
  });
  const pieces: string[] = [];
  stream.on('streamEvent', (event) => {
    if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta')
      if (event.delta.partial_json !== '') pieces.push(event.delta.partial_json);
  });
  const message = await stream.finalMessage();
  expectStreamedArguments(pieces);
  const block = message.content.find((item) => item.type === 'tool_use');
  expect(block?.type === 'tool_use' ? block.input : undefined).toEqual(
    JSON.parse(expectedArguments),
  );
});

it('streams tool-input-delta parts to the Vercel AI SDK, redacted as stored', async () => {
  const model = createOpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey }).chat('sim-gpt-fast');
  const result = streamText({
    model,
    prompt: 'Look the account up.',
    tools: {
      [lookupTool.name]: {
        description: lookupTool.description,
        inputSchema: jsonSchema(lookupTool.parameters),
      },
    },
    toolChoice: { type: 'tool', toolName: lookupTool.name },
    maxRetries: 0,
  });
  const pieces: string[] = [];
  for await (const part of result.fullStream) {
    if (part.type === 'tool-input-delta' && part.delta !== '') pieces.push(part.delta);
    if (part.type === 'error') throw part.error;
  }
  expectStreamedArguments(pieces);
  const jobId = (await result.response).headers?.['x-llmq-job-id'];
  expect(jobId).toBeDefined();
  const job = await system.waitForJob(String(jobId));
  expect(job.result?.message?.tool_calls?.[0]?.function.arguments).toBe(pieces.join(''));
  const [call] = await result.toolCalls;
  expect(call?.input).toEqual(JSON.parse(expectedArguments));
});

it('streams a structured answer to streamObject as it is written, not held whole', async () => {
  const Report = z.object({
    city: z.string(),
    country: z.string(),
    summary: z.string(),
    landmarks: z.array(z.string()),
    population: z.number().int(),
  });
  for (const modelId of ['sim-gpt-fast', 'sim-claude-fast']) {
    const model = createOpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey }).chat(modelId);
    const result = streamObject({
      model,
      schema: Report,
      prompt: 'Report on a city.',
      maxRetries: 0,
    });
    const partials: unknown[] = [];
    for await (const partial of result.partialObjectStream) partials.push(partial);
    const object = await result.object;
    expect(Report.safeParse(object).success).toBe(true);
    // JSON has no whitespace: held until its end, the answer gave one partial object (the
    // final one); streamed a JSON token behind the model, it gives one per field or so.
    expect(partials.length).toBeGreaterThan(3);
    expect(partials.at(-1)).toEqual(object);
  }
});
