import { convertOpenAICompatibleUsage } from '../openai-compatible/convert-openai-compatible-usage';
import { convertOpenAIChatCompletion } from './convert-openai-chat-completion';
import { convertOpenAIFinishReason } from './convert-openai-finish-reason';
import { convertOpenAIUsage } from './convert-openai-usage';

describe('convertOpenAIUsage', () => {
  it('keeps cached tokens inside inputTokens and reports them apart', () => {
    expect(
      convertOpenAIUsage({
        prompt_tokens: 120,
        completion_tokens: 8,
        total_tokens: 128,
        prompt_tokens_details: { cached_tokens: 100 },
      }),
    ).toEqual({ inputTokens: 120, cachedInputTokens: 100, outputTokens: 8, totalTokens: 128 });
  });

  it('computes the total when a server leaves it out', () => {
    expect(convertOpenAIUsage({ prompt_tokens: 2, completion_tokens: 3 }).totalTokens).toBe(5);
  });

  it('gives zero usage for a compatible server that reports none', () => {
    expect(convertOpenAICompatibleUsage(undefined)).toEqual({
      inputTokens: 0,
      cachedInputTokens: 0,
      outputTokens: 0,
      totalTokens: 0,
    });
  });
});

describe('convertOpenAIFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['content_filter', 'content_filter'],
    ['tool_calls', 'tool_calls'],
    ['function_call', 'tool_calls'],
    ['eos', 'other'],
    [null, 'other'],
  ] as const)('%p → %s', (finishReason, expected) => {
    expect(convertOpenAIFinishReason(finishReason)).toBe(expected);
  });
});

describe('convertOpenAIChatCompletion', () => {
  const options = {
    provider: 'p',
    modelId: 'asked-model',
    convertUsage: (usage: Parameters<typeof convertOpenAIUsage>[0] | undefined) =>
      usage && convertOpenAIUsage(usage),
  };

  it('reads text, finish reason, usage, model and id', () => {
    const result = convertOpenAIChatCompletion(
      {
        id: 'chatcmpl-1',
        model: 'answering-model',
        choices: [
          { index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'length' },
        ],
        usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
      },
      options,
    );
    expect(result).toEqual({
      content: [{ type: 'text', text: 'hello' }],
      text: 'hello',
      finishReason: 'length',
      usage: { inputTokens: 3, cachedInputTokens: 0, outputTokens: 1, totalTokens: 4 },
      responseModel: 'answering-model',
      responseId: 'chatcmpl-1',
    });
  });

  it.each([
    ['a string', 'hello'],
    ['no choices', { choices: [] }],
    ['content that is not text', { choices: [{ message: { content: 3 } }], usage: {} }],
    ['no usage', { choices: [{ message: { content: 'x' } }] }],
  ])('rejects %s as malformed_response', (_label, body) => {
    expect(() => convertOpenAIChatCompletion(body, options)).toThrow(
      expect.objectContaining({ code: 'malformed_response', isRetryable: true }),
    );
  });
});
