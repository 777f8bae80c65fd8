import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A catalog file: the shipped catalog plus the simulator's reasoning models,
 * `sim-claude-thinking`, `sim-gpt-reasoning` and `sim-gemini-thinking` ($3 input, $15 output per
 * million tokens, no fallbacks), for a system's `MODEL_CATALOG_PATH`.
 */
export function catalogWithReasoningModels(): string {
  const shipped = readFileSync(path.resolve(__dirname, '../../config/models.yaml'), 'utf8');
  const entry = (id: string, provider: string) => `
  - id: ${id}
    provider: ${provider}
    upstream_model: ${id}
    tier: strong
    context_window: 200000
    max_output_tokens: 64000
    pricing: { input: 3, output: 15, cached_input: 0.3 }
    capabilities: { streaming: true, tools: true, vision: true, json_schema: true, reasoning: true }
    expected_latency_ms: 2000
    fallbacks: []
`;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'llmq-catalog-')), 'models.yaml');
  writeFileSync(
    file,
    `${shipped.trimEnd()}\n${entry('sim-claude-thinking', 'simulator-anthropic')}${entry('sim-gpt-reasoning', 'simulator-openai')}${entry('sim-gemini-thinking', 'simulator-gemini')}`,
  );
  return file;
}
