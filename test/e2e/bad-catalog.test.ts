import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnService, testRedisUrl, uniquePrefix } from '@llmq/testing';

let directory: string;
beforeAll(() => {
  directory = mkdtempSync(path.join(tmpdir(), 'llmq-catalog-'));
});
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

it.each(['api', 'worker'] as const)(
  'the %s refuses to start on a bad catalog, naming the offending entry',
  async (app) => {
    const file = path.join(directory, `${app}.yaml`);
    writeFileSync(
      file,
      `models:
  - id: ok-model
    provider: simulator-openai
    upstream_model: sim-gpt-fast
    tier: fast
    context_window: 1000
    max_output_tokens: 100
    pricing: { input: 1, output: 2, cached_input: 0.5 }
    expected_latency_ms: 100
  - id: broken-model
    provider: simulator-openai
    upstream_model: sim-gpt-fast
    tier: medium
    context_window: 1000
    max_output_tokens: 100
    pricing: { input: 1, output: 2, cached_input: 0.5 }
    expected_latency_ms: 100
`,
    );
    const service = spawnService(app, {
      REDIS_URL: testRedisUrl(),
      LLMQ_PREFIX: uniquePrefix('test-catalog'),
      MODEL_CATALOG_PATH: file,
      PORT: '0',
    });
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain(file);
    expect(service.output()).toMatch(/models\[1\]\.tier \(model "broken-model"\)/);
  },
);
