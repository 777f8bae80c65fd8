import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A Claude model that thinks only within a budget and answers at most 16,000 tokens, as Claude
 * 4.5 (no adaptive thinking); `budgetThinkingSimulatorModels` makes the simulator refuse it
 * adaptive thinking and a larger `max_tokens`, as Anthropic does.
 */
export const budgetThinkingModel = 'sim-claude-budget-thinking';
export const budgetThinkingMaxOutput = 16_000;

/** A GPT-style reasoning model that refuses `parallel_tool_calls`, as OpenAI's o-series. */
export const oSeriesModel = 'sim-o-series';

/**
 * The simulator profiles of {@link budgetThinkingModel} and {@link oSeriesModel}, for
 * `startSystem`'s `simulatorModels`.
 */
export const reasoningSimulatorModels = {
  [budgetThinkingModel]: {
    capabilities: {
      reasoning: true,
      adaptiveThinking: false,
      maxOutputTokens: budgetThinkingMaxOutput,
    },
  },
  [oSeriesModel]: { capabilities: { reasoning: true, parallelToolCalls: false } },
};

/**
 * A catalog file: the shipped catalog plus the simulator's reasoning models,
 * `sim-claude-thinking` (adaptive thinking), `sim-gpt-reasoning`, `sim-gemini-thinking`,
 * {@link budgetThinkingModel} and {@link oSeriesModel} ($3 input, $15 output per million
 * tokens, no fallbacks), for a system's `MODEL_CATALOG_PATH`.
 */
export function catalogWithReasoningModels(): string {
  const shipped = readFileSync(path.resolve(__dirname, '../../config/models.yaml'), 'utf8');
  const entry = (
    id: string,
    provider: string,
    {
      adaptive = false,
      parallel = true,
      maxOutput = 64_000,
    }: { adaptive?: boolean; parallel?: boolean; maxOutput?: number } = {},
  ) => `
  - id: ${id}
    provider: ${provider}
    upstream_model: ${id}
    tier: strong
    context_window: 200000
    max_output_tokens: ${maxOutput}
    pricing: { input: 3, output: 15, cached_input: 0.3 }
    capabilities: { streaming: true, tools: true, vision: true, json_schema: true, reasoning: true, adaptive_thinking: ${adaptive}, parallel_tool_calls: ${parallel} }
    expected_latency_ms: 2000
    fallbacks: []
`;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'llmq-catalog-')), 'models.yaml');
  writeFileSync(
    file,
    [
      shipped.trimEnd(),
      entry('sim-claude-thinking', 'simulator-anthropic', { adaptive: true }),
      entry('sim-gpt-reasoning', 'simulator-openai'),
      entry('sim-gemini-thinking', 'simulator-gemini'),
      entry(budgetThinkingModel, 'simulator-anthropic', { maxOutput: budgetThinkingMaxOutput }),
      entry(oSeriesModel, 'simulator-openai', { parallel: false }),
    ].join('\n'),
  );
  return file;
}
