import { ModelCatalog } from '../catalog/model-catalog';
import type { ChatRequest } from '../messages/chat-request';
import { convertToAnthropicMessagesRequest } from './anthropic/convert-to-anthropic-messages-request';
import { findAccountUnsupportedParameter } from './find-unsupported-parameter';
import { convertToGeminiRequest } from './gemini/convert-to-gemini-request';
import { modelTraitsOf } from './model-traits';
import { convertToOpenAIChatRequest } from './openai/convert-to-openai-chat-request';

/** A legacy-functions request as the openai-chat dialect reads it: one call per turn preferred. */
const legacy: ChatRequest = {
  messages: [{ role: 'user', content: 'Use f and g.' }],
  tools: [
    { name: 'f', parameters: { type: 'object' } },
    { name: 'g', parameters: { type: 'object' } },
  ],
  preferOneToolCall: true,
};

describe('a preference for one tool call per turn (OpenAI legacy functions)', () => {
  it('is sent as parallel_tool_calls: false to OpenAI-format models, unless the server refuses it', () => {
    const openai = convertToOpenAIChatRequest('gpt-x', legacy, {
      maxTokensField: 'max_completion_tokens',
    });
    expect(openai.parallel_tool_calls).toBe(false);
    const together = convertToOpenAIChatRequest('llama', legacy, {
      maxTokensField: 'max_tokens',
      takesParallelToolCalls: false,
    });
    expect(together).not.toHaveProperty('parallel_tool_calls');
    // A server refusing parallel_tool_calls is not asked, and does not refuse the request.
    expect(
      findAccountUnsupportedParameter(
        { kind: 'openai-compatible', preset: 'together' },
        'l',
        legacy,
      ),
    ).toBeUndefined();
  });

  it('is sent as disable_parallel_tool_use to Claude, and not at all to Gemini (no switch)', () => {
    const claude = convertToAnthropicMessagesRequest('claude-x', legacy, {
      maxTokensDefault: 4096,
    });
    expect(claude.tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    const gemini = convertToGeminiRequest('gemini-x', legacy);
    expect(JSON.stringify(gemini)).not.toMatch(/parallel/i);
  });

  it("yields to the request's own parallelToolCalls, and asks nothing without tools or with tool choice none", () => {
    const explicit = convertToOpenAIChatRequest(
      'gpt-x',
      { ...legacy, parallelToolCalls: true },
      { maxTokensField: 'max_completion_tokens' },
    );
    expect(explicit.parallel_tool_calls).toBe(true);
    const noTools = convertToOpenAIChatRequest(
      'gpt-x',
      { ...legacy, tools: [] },
      { maxTokensField: 'max_completion_tokens' },
    );
    expect(noTools).not.toHaveProperty('parallel_tool_calls');
    const none = convertToAnthropicMessagesRequest(
      'claude-x',
      { ...legacy, toolChoice: 'none' },
      { maxTokensDefault: 4096 },
    );
    expect(none.tool_choice).toEqual({ type: 'none' });
  });

  it("follows the catalog's parallel_tool_calls (false for OpenAI's o-series, which refuse the switch)", () => {
    const catalog = new ModelCatalog([
      {
        id: 'o-model',
        provider: 'openai',
        upstream_model: 'o4-mini',
        tier: 'strong',
        context_window: 200_000,
        max_output_tokens: 100_000,
        pricing: { input: 1, output: 4, cached_input: 0.25 },
        capabilities: { tools: true, reasoning: true, parallel_tool_calls: false },
        expected_latency_ms: 2000,
      },
    ]);
    const entry = catalog.resolve('o-model');
    expect(entry).toBeDefined();
    if (!entry) return;
    expect(modelTraitsOf(entry).parallelToolCalls).toBe(false);
    expect(
      modelTraitsOf({
        ...entry,
        capabilities: { ...entry.capabilities, parallel_tool_calls: true },
      }).parallelToolCalls,
    ).toBe(true);
  });
});
