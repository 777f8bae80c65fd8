import { reasoningOptionsSchema } from '../../messages/tool-definition';
import { anthropicThinkingOf } from './anthropic-thinking';

describe('anthropicThinkingOf', () => {
  it('sends display "summarized" with adaptive thinking when the request asked for it', () => {
    expect(
      anthropicThinkingOf(
        { reasoning: { adaptive: true, effort: 'high', summarized: true } },
        'claude-x',
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
        'claude-x',
        4096,
      ).thinking,
    ).toEqual({ type: 'enabled', budget_tokens: 2048, display: 'summarized' });
    expect(
      anthropicThinkingOf({ reasoning: { budgetTokens: 2048 }, maxTokens: 8000 }, 'claude-x', 4096)
        .thinking,
    ).toEqual({ type: 'enabled', budget_tokens: 2048 });
  });

  it('takes summarized only with thinking asked for', () => {
    expect(reasoningOptionsSchema.safeParse({ summarized: true }).success).toBe(false);
    expect(reasoningOptionsSchema.safeParse({ effort: 'low', summarized: true }).success).toBe(
      true,
    );
  });
});
