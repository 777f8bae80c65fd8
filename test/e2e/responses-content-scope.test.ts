import OpenAI from 'openai';
import { apiKey, startSystem } from './system-harness';

/**
 * A stored response's prompt (its input items, `instructions`, its tools' descriptions and
 * schemas, its output's JSON schema) is read only with the
 * `jobs:content` scope, as `include=request` is on the job routes; a key holding `jobs:read`
 * alone sees the response's status and answer, never the prompt. Real API and worker processes,
 * the official OpenAI SDK.
 */
const adminKey = 'e2e-admin-key-000000000000000001';
const instructions = 'You answer as the treasurer of zebra holdings.';
const prompt = 'echo: the quarterly figures of zebra holdings';

let system: Awaited<ReturnType<typeof startSystem>>;

beforeAll(async () => {
  system = await startSystem({ apiEnv: { ADMIN_API_KEY: adminKey } });
});
afterAll(async () => {
  await system?.stop();
});

async function issuedClient(scopes: string[]): Promise<OpenAI> {
  const created = await system.request(
    'POST',
    '/v1/admin/keys',
    { tenant: 'e2e', scopes },
    { Authorization: `Bearer ${adminKey}` },
  );
  expect(created.status).toBe(201);
  return new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey: created.body.key, maxRetries: 0 });
}

it("shows a jobs:read key a response's answer without its prompt, and a jobs:content key all of it", async () => {
  const owner = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  const created = await owner.responses.create({
    model: 'sim-gpt-fast',
    instructions,
    input: prompt,
  });
  expect(created.status).toBe('completed');
  const reader = await issuedClient(['jobs:read']);
  const contentReader = await issuedClient(['jobs:read', 'jobs:content']);

  // The reader sees the response and its answer…
  const seen = await reader.responses.retrieve(created.id);
  expect(seen.status).toBe('completed');
  expect(seen.output_text).toBe(created.output_text);
  // …but not its instructions, in the object or in a replay of its stream…
  expect(created.instructions).toBe(instructions);
  expect(seen.instructions).toBeNull();
  const replay = await fetch(`${system.apiUrl}/v1/responses/${created.id}?stream=true`, {
    headers: { Authorization: `Bearer ${reader.apiKey}` },
  });
  const events = await replay.text();
  expect(events).toContain('response.completed');
  expect(events).not.toContain(instructions);
  // …nor its input items.
  await expect(reader.responses.inputItems.list(created.id)).rejects.toMatchObject({
    status: 403,
    error: { code: 'insufficient_scope' },
  });

  // A key allowed to read prompts reads all of it.
  expect((await contentReader.responses.retrieve(created.id)).instructions).toBe(instructions);
  const items = await contentReader.responses.inputItems.list(created.id);
  expect(JSON.stringify(items.data)).toContain(prompt);
});

it("shows a jobs:read key a response's tools and output format without their descriptions and schemas", async () => {
  const toolDescription = 'Reads the ledger of zebra holdings for a quarter';
  const schemaDescription = 'the treasurer of zebra holdings reports';
  const owner = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  const created = await owner.responses.create({
    model: 'sim-gpt-fast',
    input: prompt,
    tools: [
      {
        type: 'function',
        name: 'read_ledger',
        description: toolDescription,
        parameters: {
          type: 'object',
          properties: { quarter: { type: 'string', description: schemaDescription } },
          required: ['quarter'],
        },
        strict: false,
      },
    ],
    text: {
      format: {
        type: 'json_schema',
        name: 'report',
        description: schemaDescription,
        schema: { type: 'object', properties: { total: { type: 'number' } } },
        strict: false,
      },
    },
  });
  expect(JSON.stringify(created.tools)).toContain(toolDescription);
  expect(JSON.stringify(created.text)).toContain(schemaDescription);
  const reader = await issuedClient(['jobs:read']);
  const contentReader = await issuedClient(['jobs:read', 'jobs:content']);

  // The reader sees which tools and format the response had…
  const seen = await reader.responses.retrieve(created.id);
  expect(seen.tools).toEqual([
    { type: 'function', name: 'read_ledger', description: null, parameters: null, strict: false },
  ]);
  expect(seen.text?.format).toEqual({ type: 'json_schema', name: 'report', strict: false });
  // …never their descriptions or schemas, in the object or in a replay of its stream.
  const replay = await fetch(`${system.apiUrl}/v1/responses/${created.id}?stream=true`, {
    headers: { Authorization: `Bearer ${reader.apiKey}` },
  });
  const events = await replay.text();
  expect(events).toContain('response.completed');
  for (const text of [toolDescription, schemaDescription, '"total"']) {
    expect(JSON.stringify(seen).includes(text) ? `${text} in the response` : null).toBeNull();
    expect(events.includes(text) ? `${text} in the replay` : null).toBeNull();
  }

  // A key allowed to read prompts sees them as they were sent.
  const full = await contentReader.responses.retrieve(created.id);
  expect(full.tools).toEqual(created.tools);
  expect(full.text).toEqual(created.text);
});
