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

  it('finds nothing when the model can take it all', () => {
    expect(findUnsupportedParameter('openai', 'gpt-x', request)).toBeUndefined();
    expect(findUnsupportedParameter('openai-compatible', 'llama', request)).toBeUndefined();
  });
});
