import { startSimulator } from '@llmq/llm-simulator';
import type { ChatMessage } from '../messages/chat-message';
import type { ToolDefinition } from '../messages/tool-definition';
import { createAnthropicProvider } from './anthropic/anthropic-provider';
import { convertToOpenAIChatRequest } from './openai/convert-to-openai-chat-request';
import { createOpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider';
import {
  alphanumeric9ToolCallIds,
  anthropicToolCallIds,
  fitToolCallIds,
  openAIToolCallIds,
} from './tool-call-id-rules';

/** A conversation of one tool call and its result, under `id`. */
const loop = (...ids: string[]): ChatMessage[] => [
  { role: 'user', content: 'Use get_weather for Paris.' },
  {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Checking.' },
      ...ids.map((id) => ({
        type: 'tool-call' as const,
        toolCallId: id,
        toolName: 'get_weather',
        arguments: '{"city":"Paris"}',
      })),
    ],
  },
  {
    role: 'tool',
    content: ids.map((id) => ({ type: 'tool-result' as const, toolCallId: id, content: 'sunny' })),
  },
];

const weather: ToolDefinition = {
  name: 'get_weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
};

/** A Gemini 3 call's id sealing its ~1 KB thought signature (see gemini-tool-call-id.ts). */
const sealedGeminiId = `llmq_fcs_${Buffer.from(JSON.stringify([null, 'S'.repeat(1100), 'n0nce'])).toString('base64url')}`;

function idsOf(messages: ChatMessage[]): string[] {
  return messages.flatMap((message) => {
    if (message.role === 'tool') return message.content.map((part) => part.toolCallId);
    if (message.role !== 'assistant' || typeof message.content === 'string') return [];
    return message.content.flatMap((part) => (part.type === 'tool-call' ? [part.toolCallId] : []));
  });
}

describe('fitToolCallIds', () => {
  it('leaves a conversation whose ids fit as it is (the same array)', () => {
    const messages = loop('call_abc', 'toolu_01XYZ');
    expect(fitToolCallIds(messages, openAIToolCallIds)).toBe(messages);
    expect(fitToolCallIds(messages, anthropicToolCallIds)).toBe(messages);
  });

  it('gives an id that breaks the rule one stand-in, the same for its call and its result', () => {
    const messages = loop(sealedGeminiId, 'functions.get_weather:0', 'call_ok');
    const openAI = idsOf(fitToolCallIds(messages, openAIToolCallIds));
    expect(openAI[0]).toMatch(/^call_[0-9A-Za-z]{24}$/);
    expect(openAI.slice(1)).toEqual([
      'functions.get_weather:0',
      'call_ok',
      openAI[0],
      'functions.get_weather:0',
      'call_ok',
    ]);

    const anthropic = idsOf(fitToolCallIds(messages, anthropicToolCallIds));
    expect(anthropic[0]).toBe(sealedGeminiId); // base64url with underscores fits Anthropic's pattern
    expect(anthropic[1]).toMatch(/^toolu_[0-9A-Za-z]{24}$/);
    expect(anthropic.slice(3)).toEqual(anthropic.slice(0, 3));

    const mistral = idsOf(fitToolCallIds(messages, alphanumeric9ToolCallIds));
    for (const id of mistral) expect(id).toMatch(/^[0-9A-Za-z]{9}$/);
    expect(new Set(mistral.slice(0, 3)).size).toBe(3);
    expect(mistral.slice(3)).toEqual(mistral.slice(0, 3));
    // Derived from the id alone: the next turn sends the same stand-ins.
    expect(idsOf(fitToolCallIds(loop(sealedGeminiId), alphanumeric9ToolCallIds))[0]).toBe(
      mistral[0],
    );
  });

  it('fits the ids of an OpenAI request body to 40 characters', () => {
    const body = convertToOpenAIChatRequest(
      'm',
      { messages: loop(sealedGeminiId) },
      {
        maxTokensField: 'max_tokens',
      },
    );
    const assistant = body.messages[1] as { tool_calls: Array<{ id: string }> };
    const tool = body.messages[2] as { tool_call_id: string };
    expect(assistant.tool_calls[0]?.id.length).toBeLessThanOrEqual(40);
    expect(tool.tool_call_id).toBe(assistant.tool_calls[0]?.id);
  });
});

describe('tool call ids sent to providers with stricter rules (simulator)', () => {
  let simulator: Awaited<ReturnType<typeof startSimulator>>;

  beforeAll(async () => {
    simulator = await startSimulator({
      models: { 'sim-mistral': { capabilities: { toolCallIds: 'alphanumeric-9' } } },
    });
  });
  afterAll(async () => simulator.close());

  it("sends Mistral 9-character stand-ins, where OpenAI's ids are refused", async () => {
    const request = { messages: loop('call_Xy12abcDEF34', sealedGeminiId), tools: [weather] };
    const mistral = createOpenAICompatibleProvider({
      id: 'mistral',
      preset: 'mistral',
      baseURL: `${simulator.url}/v1`,
      apiKey: 'x',
    });
    const answer = await mistral.languageModel('sim-mistral').generate(request);
    expect(answer.text).toContain('get_weather returned: sunny');

    // The same server without the rule: Mistral's 400, naming the id.
    const plain = createOpenAICompatibleProvider({
      id: 'plain',
      baseURL: `${simulator.url}/v1`,
      apiKey: 'x',
    });
    await expect(plain.languageModel('sim-mistral').generate(request)).rejects.toMatchObject({
      statusCode: 400,
      message: expect.stringContaining('Tool call id was call_Xy12abcDEF34 but must be a-z'),
    });
    // A vLLM serving a Mistral model is configured with the rule alone.
    const configured = createOpenAICompatibleProvider({
      id: 'vllm-mistral',
      baseURL: `${simulator.url}/v1`,
      apiKey: 'x',
      toolCallIds: 'alphanumeric-9',
    });
    await expect(configured.languageModel('sim-mistral').generate(request)).resolves.toMatchObject({
      finishReason: 'stop',
    });
    await Promise.all([mistral.close?.(), plain.close?.(), configured.close?.()]);
  });

  it("sends Anthropic stand-ins for ids outside its pattern (another provider's)", async () => {
    const anthropic = createAnthropicProvider({
      id: 'anthropic',
      apiKey: 'x',
      baseURL: simulator.url,
    });
    const answer = await anthropic
      .languageModel('sim-claude-fast')
      .generate({ messages: loop('functions.get_weather:0'), tools: [weather] });
    expect(answer.text).toContain('get_weather returned: sunny');
    await anthropic.close?.();

    // Sent as it is, the simulator refuses it as Anthropic does.
    const raw = await fetch(`${simulator.url}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'x',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: 'sim-claude-fast',
        max_tokens: 50,
        tools: [{ name: 'get_weather', input_schema: weather.parameters }],
        messages: [
          { role: 'user', content: 'Use get_weather.' },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'functions.get_weather:0', name: 'get_weather', input: {} },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'functions.get_weather:0', content: 'sunny' },
            ],
          },
        ],
      }),
    });
    expect(raw.status).toBe(400);
    expect(JSON.stringify(await raw.json())).toContain(
      "String should match pattern '^[a-zA-Z0-9_-]+$'",
    );
  });
});
