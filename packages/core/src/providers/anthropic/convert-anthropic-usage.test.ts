import { convertAnthropicUsage, mergeAnthropicUsage } from './convert-anthropic-usage';

describe('convertAnthropicUsage', () => {
  it('counts the whole prompt as input and cache reads as cached', () => {
    expect(
      convertAnthropicUsage({
        input_tokens: 10,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 5,
        output_tokens: 7,
      }),
    ).toEqual({
      inputTokens: 115,
      cachedInputTokens: 100,
      cacheWriteInputTokens: 5,
      outputTokens: 7,
      totalTokens: 122,
    });
  });

  it('keeps the part of the cache writes made with the 1-hour lifetime', () => {
    expect(
      convertAnthropicUsage({
        input_tokens: 1,
        cache_creation_input_tokens: 30,
        cache_creation: { ephemeral_1h_input_tokens: 20 },
        output_tokens: 1,
      }),
    ).toMatchObject({ cacheWriteInputTokens: 30, cacheWrite1hInputTokens: 20 });
  });

  it('treats missing cache fields as zero', () => {
    expect(convertAnthropicUsage({ input_tokens: 3, output_tokens: 4 })).toEqual({
      inputTokens: 3,
      cachedInputTokens: 0,
      outputTokens: 4,
      totalTokens: 7,
    });
  });

  it('merges the cumulative message_delta usage over message_start', () => {
    const merged = mergeAnthropicUsage(
      { input_tokens: 12, output_tokens: 1, cache_read_input_tokens: 0 },
      { input_tokens: null, output_tokens: 30, cache_read_input_tokens: null },
    );
    expect(convertAnthropicUsage(merged)).toEqual({
      inputTokens: 12,
      cachedInputTokens: 0,
      outputTokens: 30,
      totalTokens: 42,
    });
  });
});
