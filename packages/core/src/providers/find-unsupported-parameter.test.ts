import { findUnsupportedParameter } from './find-unsupported-parameter';

describe('findUnsupportedParameter', () => {
  const request = { messages: [{ role: 'user' as const, content: 'hi' }], promptCacheKey: 'k' };

  it('finds what a Claude model cannot take, naming the parameter and the model', () => {
    expect(findUnsupportedParameter('anthropic', 'claude-x', request)).toMatchObject({
      code: 'unsupported_parameter',
      parameter: 'prompt_cache_key',
      model: 'claude-x',
    });
  });

  it('finds top_k for an OpenAI-format model, which samples by temperature and top_p only', () => {
    const topK = { messages: request.messages, topK: 5, presencePenalty: 0.5 };
    for (const kind of ['openai', 'openai-compatible'] as const) {
      expect(findUnsupportedParameter(kind, 'gpt-x', topK)).toMatchObject({ parameter: 'top_k' });
    }
    expect(findUnsupportedParameter('anthropic', 'claude-x', topK)).toMatchObject({
      parameter: 'presence_penalty',
    });
  });

  it('finds nothing when the model can take it all', () => {
    expect(findUnsupportedParameter('openai', 'gpt-x', request)).toBeUndefined();
    expect(findUnsupportedParameter('openai-compatible', 'llama', request)).toBeUndefined();
  });
});
