import { countTextTokens } from '../../tokens/count-tokens';
import {
  estimatedConversationOverhead,
  perMessageOverhead,
} from '../../tokens/estimate-input-tokens';
import {
  anthropicCountTokensRequestSchema,
  countAnthropicInputTokens,
} from './anthropic-count-tokens';

const count = (body: unknown) =>
  countAnthropicInputTokens(anthropicCountTokensRequestSchema.parse(body));

const base = { model: 'claude-x', messages: [{ role: 'user', content: 'hello there' }] };

describe('Anthropic count_tokens', () => {
  it('counts the messages with the chat framing', () => {
    expect(count(base)).toBe(
      estimatedConversationOverhead + perMessageOverhead + countTextTokens('hello there'),
    );
  });

  it('counts the system prompt and the tool definitions as input', () => {
    const system = 'You answer in French, always, whatever the question.';
    const withSystem = count({ ...base, system });
    expect(withSystem).toBe(count(base) + perMessageOverhead + countTextTokens(system));
    const tool = {
      name: 'get_weather',
      description: 'The weather in a city',
      input_schema: { type: 'object', properties: { city: { type: 'string' } } },
    };
    expect(count({ ...base, tools: [tool] })).toBe(
      count(base) +
        countTextTokens(`${tool.name}\n${tool.description}\n${JSON.stringify(tool.input_schema)}`),
    );
  });

  it("counts an output format's schema", () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } } };
    expect(count({ ...base, output_config: { format: { type: 'json_schema', schema } } })).toBe(
      count(base) + countTextTokens(JSON.stringify(schema)),
    );
  });

  it('refuses the fields of a message request that are not part of a count, by name', () => {
    for (const field of ['max_tokens', 'stream', 'temperature']) {
      const parsed = anthropicCountTokensRequestSchema.safeParse({ ...base, [field]: 1 });
      expect(parsed.success).toBe(false);
      expect(JSON.stringify(parsed.error?.issues)).toContain(field);
    }
  });
});
