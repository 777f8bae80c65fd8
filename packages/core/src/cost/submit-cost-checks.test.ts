import { ModelCatalog } from '../catalog/model-catalog';
import { maxOutputTokensOf } from '../providers/max-output-tokens';
import { estimateInputTokens } from '../tokens/estimate-input-tokens';
import { optimizeRequest } from './submit-cost-checks';

const claude = {
  id: 'small-claude',
  provider: 'simulator-anthropic' as const,
  upstream_model: 'sim-claude-thinking',
  tier: 'strong' as const,
  context_window: 12_000,
  max_output_tokens: 8000,
  pricing: { input: 3, output: 15, cached_input: 0.3 },
  capabilities: { reasoning: true },
  expected_latency_ms: 2000,
};
const catalog = new ModelCatalog([claude]);
const entry = catalog.resolve('small-claude');
const turn = (index: number) => [
  { role: 'user' as const, content: `question ${index}: ${'lorem ipsum '.repeat(60)}` },
  { role: 'assistant' as const, content: `answer ${index}: ${'dolor sit amet '.repeat(60)}` },
];
const messages = [
  ...Array.from({ length: 40 }, (_, index) => turn(index)).flat(),
  { role: 'user' as const, content: 'And the latest question?' },
];

describe('optimizeRequest', () => {
  it.each([
    ['no limit (Claude sends its 4096 default)', {}, 4096],
    [
      'an effort and no limit (the thinking on top, within the most output)',
      { reasoning: { effort: 'high' as const } },
      8000,
    ],
    ['a limit', { maxTokens: 600 }, 600],
  ])('trims history to leave the output a call may bill: %s', (_, options, reserved) => {
    expect(entry).toBeDefined();
    if (!entry) return;
    expect(maxOutputTokensOf(entry, options)).toBe(reserved);
    const optimized = optimizeRequest(
      catalog,
      'small-claude',
      { messages, ...options },
      {
        trim_history: true,
      },
    );
    const kept = estimateInputTokens(optimized.request.messages);
    expect(optimized.report?.messages_dropped).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(claude.context_window - reserved);
  });
});
