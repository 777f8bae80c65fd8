import { maxOutputTokensOf } from './max-output-tokens';

const on = (provider: 'simulator-anthropic' | 'simulator-gemini' | 'simulator-openai') => ({
  provider,
  upstream_model: 'm',
  max_output_tokens: 64_000,
  capabilities: { reasoning: true, adaptive_thinking: true },
});

describe('maxOutputTokensOf', () => {
  it("reserves the max_tokens a Claude model's adapter sends: the default, plus an effort's thinking", () => {
    const claude = on('simulator-anthropic');
    expect(maxOutputTokensOf(claude, {})).toBe(4096);
    expect(maxOutputTokensOf(claude, { reasoning: { effort: 'high' } })).toBe(4096 + 24_576);
    expect(maxOutputTokensOf(claude, { maxTokens: 3000, reasoning: { effort: 'high' } })).toBe(
      3000,
    );
    expect(maxOutputTokensOf(claude, { maxTokens: 2000, reasoning: { adaptive: true } })).toBe(
      2000,
    );
  });

  it("reserves what a Claude model's adapter sends within its most output, and its budget for adaptive thinking it cannot take", () => {
    const claude = { ...on('simulator-anthropic'), max_output_tokens: 20_000 };
    expect(maxOutputTokensOf(claude, { reasoning: { effort: 'high' } })).toBe(20_000);
    const budgetOnly = { ...claude, capabilities: { reasoning: true, adaptive_thinking: false } };
    expect(maxOutputTokensOf(budgetOnly, { reasoning: { adaptive: true, effort: 'low' } })).toBe(
      4096 + 2048,
    );
    expect(maxOutputTokensOf(claude, { reasoning: { adaptive: true, effort: 'low' } })).toBe(4096);
  });

  it('reserves the answer estimate plus the thinking budget when no limit is sent (Gemini, OpenAI)', () => {
    for (const entry of [on('simulator-gemini'), on('simulator-openai')]) {
      expect(maxOutputTokensOf(entry, {})).toBe(1024);
      expect(maxOutputTokensOf(entry, { reasoning: { effort: 'high' } })).toBe(1024 + 24_576);
      expect(maxOutputTokensOf(entry, { reasoning: { adaptive: true } })).toBe(1024 + 8192);
      // A limit counts the thinking (Gemini's maxOutputTokens, OpenAI's max_completion_tokens).
      expect(maxOutputTokensOf(entry, { maxTokens: 500, reasoning: { effort: 'high' } })).toBe(500);
    }
    expect(
      maxOutputTokensOf(
        { ...on('simulator-gemini'), max_output_tokens: 8000 },
        {
          reasoning: { effort: 'high' },
        },
      ),
    ).toBe(8000);
  });
});
