import { reasoningOptionsSchema } from '../../messages/tool-definition';
import { anthropicThinkingOf } from './anthropic-thinking';

describe('anthropicThinkingOf', () => {
  it('sends display "summarized" with adaptive thinking when the request asked for it', () => {
    expect(
      anthropicThinkingOf(
        { reasoning: { adaptive: true, effort: 'high', summarized: true } },
        { id: 'claude-x' },
        4096,
      ),
    ).toEqual({
      thinking: { type: 'adaptive', display: 'summarized' },
      effort: 'high',
      maxTokens: 4096,
    });
  });

  it('sends display "summarized" with a thinking budget, and no display when not asked', () => {
    expect(
      anthropicThinkingOf(
        { reasoning: { budgetTokens: 2048, summarized: true }, maxTokens: 8000 },
        { id: 'claude-x' },
        4096,
      ).thinking,
    ).toEqual({ type: 'enabled', budget_tokens: 2048, display: 'summarized' });
    expect(
      anthropicThinkingOf(
        { reasoning: { budgetTokens: 2048 }, maxTokens: 8000 },
        { id: 'claude-x' },
        4096,
      ).thinking,
    ).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });

  describe("within the model's most output (catalog max_output_tokens)", () => {
    const claude = { id: 'claude-x', maxOutputTokens: 20_000, reasoning: true };

    it('never sends max_tokens above it: an effort with no limit fits its budget under it', () => {
      // 4096 of answer + 24,576 of thinking would be 28,672.
      expect(anthropicThinkingOf({ reasoning: { effort: 'high' } }, claude, 4096)).toEqual({
        thinking: { type: 'enabled', budget_tokens: 19_999 },
        maxTokens: 20_000,
      });
      // Where it fits, the thinking comes on top of the default as before.
      expect(anthropicThinkingOf({ reasoning: { effort: 'medium' } }, claude, 4096)).toEqual({
        thinking: { type: 'enabled', budget_tokens: 8192 },
        maxTokens: 4096 + 8192,
      });
      // A default above the model's maximum is its maximum.
      expect(anthropicThinkingOf({}, { ...claude, maxOutputTokens: 2000 }, 4096)).toEqual({
        maxTokens: 2000,
      });
    });

    it('refuses by name a budget that cannot fit, or a limit above it', () => {
      const refusal = (run: () => unknown) => {
        try {
          run();
        } catch (error) {
          return error;
        }
        return undefined;
      };
      expect(
        refusal(() => anthropicThinkingOf({ reasoning: { budgetTokens: 30_000 } }, claude, 4096)),
      ).toMatchObject({
        code: 'unsupported_parameter',
        parameter: 'thinking.budget_tokens',
        message: expect.stringContaining("20000, the model's most output tokens"),
      });
      expect(
        refusal(() =>
          anthropicThinkingOf(
            { reasoning: { effort: 'low' } },
            { ...claude, maxOutputTokens: 1000 },
            4096,
          ),
        ),
      ).toMatchObject({ parameter: 'reasoning_effort' });
      expect(refusal(() => anthropicThinkingOf({ maxTokens: 30_000 }, claude, 4096))).toMatchObject(
        { parameter: 'max_tokens' },
      );
      // A client budget under its own limit goes as given.
      expect(
        anthropicThinkingOf({ reasoning: { budgetTokens: 3000 }, maxTokens: 5000 }, claude, 4096),
      ).toEqual({ thinking: { type: 'enabled', budget_tokens: 3000 }, maxTokens: 5000 });
    });
  });

  describe('a model without adaptive thinking (Claude 4.5)', () => {
    const claude = { id: 'claude-sonnet-4-5', maxOutputTokens: 64_000, adaptiveThinking: false };

    it("thinks within the budget of the effort asked, or of Anthropic's default effort (high)", () => {
      expect(
        anthropicThinkingOf({ reasoning: { adaptive: true, effort: 'low' } }, claude, 4096),
      ).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 }, maxTokens: 4096 + 2048 });
      expect(
        anthropicThinkingOf({ reasoning: { adaptive: true, summarized: true } }, claude, 4096),
      ).toEqual({
        thinking: { type: 'enabled', budget_tokens: 24_576, display: 'summarized' },
        maxTokens: 4096 + 24_576,
      });
    });

    it("fits the budget under the client's limit, and refuses by name a limit too small to think in", () => {
      expect(
        anthropicThinkingOf({ reasoning: { adaptive: true }, maxTokens: 3000 }, claude, 4096),
      ).toEqual({ thinking: { type: 'enabled', budget_tokens: 2999 }, maxTokens: 3000 });
      expect(() =>
        anthropicThinkingOf({ reasoning: { adaptive: true }, maxTokens: 1000 }, claude, 4096),
      ).toThrow(expect.objectContaining({ parameter: 'thinking' }));
    });

    it('keeps adaptive thinking for a model that takes it', () => {
      expect(
        anthropicThinkingOf(
          { reasoning: { adaptive: true } },
          { ...claude, adaptiveThinking: true },
          4096,
        ),
      ).toEqual({ thinking: { type: 'adaptive' }, maxTokens: 4096 });
    });
  });

  it('refuses thinking by name to a model that cannot think', () => {
    const plain = { id: 'claude-plain', reasoning: false };
    expect(() => anthropicThinkingOf({ reasoning: { adaptive: true } }, plain, 4096)).toThrow(
      expect.objectContaining({ parameter: 'thinking' }),
    );
    expect(() => anthropicThinkingOf({ reasoning: { effort: 'low' } }, plain, 4096)).toThrow(
      expect.objectContaining({ parameter: 'reasoning_effort' }),
    );
    expect(anthropicThinkingOf({ maxTokens: 100 }, plain, 4096)).toEqual({ maxTokens: 100 });
  });

  it('takes summarized only with thinking asked for', () => {
    expect(reasoningOptionsSchema.safeParse({ summarized: true }).success).toBe(false);
    expect(reasoningOptionsSchema.safeParse({ effort: 'low', summarized: true }).success).toBe(
      true,
    );
  });
});
