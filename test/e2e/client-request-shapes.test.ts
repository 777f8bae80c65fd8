import Anthropic from '@anthropic-ai/sdk';
import { apiKey, startSystem } from './system-harness';

/**
 * Requests real clients send that llmq once refused with a schema error it did not explain:
 * Anthropic server tools and `mcp_servers`, custom-content documents. Each is carried (and answered as the provider
 * answers it) or refused by name, through the built API and a worker process.
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let anthropic: Anthropic;

beforeAll(async () => {
  system = await startSystem({ workers: 1 });
  anthropic = new Anthropic({ baseURL: system.apiUrl, apiKey, maxRetries: 0 });
});
afterAll(async () => {
  await system?.stop();
});

/** The Anthropic-shaped error body of a refused request. */
async function anthropicRefusal(
  body: Anthropic.MessageCreateParamsNonStreaming,
): Promise<{ code: string; message: string; details: { parameter: string } }> {
  const error = await anthropic.messages.create(body).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(Anthropic.BadRequestError);
  const apiError = error as InstanceType<typeof Anthropic.BadRequestError>;
  const body400 = apiError.error as {
    type: string;
    error: { type: string; code: string; message: string; details: { parameter: string } };
  };
  expect(body400.type).toBe('error');
  expect(body400.error.type).toBe('invalid_request_error');
  return body400.error;
}

describe('Anthropic server tools and MCP servers', () => {
  it.each([
    { type: 'web_search_20250305', name: 'web_search', max_uses: 2 },
    { type: 'code_execution_20250825', name: 'code_execution' },
    { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
    { type: 'bash_20250124', name: 'bash' },
    { type: 'web_fetch_20250910', name: 'web_fetch' },
  ] as const)('refuses a $type tool by its type, in Anthropic error shape', async (tool) => {
    const refusal = await anthropicRefusal({
      model: 'sim-claude-fast',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
      tools: [{ name: 'f', input_schema: { type: 'object' } }, tool],
    });
    expect(refusal.code).toBe('unsupported_parameter');
    expect(refusal.details.parameter).toBe(`tools[1] (${tool.type})`);
    expect(refusal.message).toBe(
      `"tools[1] (${tool.type})" (run by Anthropic itself) is not supported by llmq`,
    );
  });

  it('refuses mcp_servers by name', async () => {
    const refusal = await anthropicRefusal({
      model: 'sim-claude-fast',
      max_tokens: 50,
      messages: [{ role: 'user', content: 'hi' }],
      mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example' }],
    } as Anthropic.MessageCreateParamsNonStreaming);
    expect(refusal.code).toBe('unsupported_parameter');
    expect(refusal.details.parameter).toBe('mcp_servers');
  });
});

describe('Anthropic documents with a content source', () => {
  it.each(['sim-claude-fast', 'sim-gpt-fast'])(
    'reads their text blocks into the prompt (%s)',
    async (model) => {
      const message = await anthropic.messages.create({
        model,
        max_tokens: 50,
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'document',
                source: {
                  type: 'content',
                  content: [
                    { type: 'text', text: 'Repeat the last line.' },
                    { type: 'text', text: 'echo: read from the document' },
                  ],
                },
                cache_control: { type: 'ephemeral' },
              },
            ],
          },
        ],
      });
      expect(message.content).toEqual([{ type: 'text', text: 'read from the document' }]);
      expect(message.stop_reason).toBe('end_turn');
    },
  );
});
