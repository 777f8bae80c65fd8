import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSystem } from './system-harness';

/**
 * Jobs on catalog models of the newer provider kinds, through real API and worker processes:
 * a Gemini-style model (the simulator's Gemini API through `@google/genai`) and an
 * Azure-style one (an Azure deployment through the `AzureOpenAI` client).
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;

/** The shipped catalog plus one model on each of the simulator's Gemini and Azure accounts. */
function catalogWithNewKinds(): string {
  const shipped = readFileSync(path.resolve(__dirname, '../../config/models.yaml'), 'utf8');
  const entry = (id: string, provider: string, upstream: string) => `
  - id: ${id}
    provider: ${provider}
    upstream_model: ${upstream}
    tier: fast
    context_window: 1000000
    max_output_tokens: 8192
    pricing: { input: 0.3, output: 2.5, cached_input: 0.075 }
    capabilities: { streaming: true, json_mode: true, tools: true, vision: true, json_schema: true }
    expected_latency_ms: 800
    fallbacks: []
`;
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'llmq-catalog-')), 'models.yaml');
  writeFileSync(
    file,
    `${shipped.trimEnd()}\n${entry('gemini-flash', 'simulator-gemini', 'sim-gemini-flash')}${entry('azure-gpt-fast', 'simulator-azure', 'sim-gpt-fast')}`,
  );
  return file;
}

beforeAll(async () => {
  system = await startSystem({ workers: 1, env: { MODEL_CATALOG_PATH: catalogWithNewKinds() } });
});
afterAll(async () => {
  await system?.stop();
});

describe('jobs on Gemini and Azure OpenAI catalog models', () => {
  it.each([
    ['gemini-flash', 'simulator-gemini', 'sim-gemini-flash', '/v1beta/models/{model}:'],
    [
      'azure-gpt-fast',
      'simulator-azure',
      'sim-gpt-fast',
      '/openai/deployments/{deployment}/chat/completions',
    ],
  ])(
    'completes a job on %s (%s) over its own wire format',
    async (model, provider, upstream, route) => {
      const jobId = await system.submit({
        model,
        messages: [
          { role: 'system', content: 'You repeat what you are told.' },
          { role: 'user', content: `echo: hello from ${model}` },
        ],
        max_tokens: 50,
      });
      const job = await system.waitForJob(jobId);
      expect(job.status).toBe('completed');
      expect(job.result).toMatchObject({
        text: `hello from ${model}`,
        finish_reason: 'stop',
        model,
        provider,
      });
      expect(job.result.usage.input_tokens).toBeGreaterThan(0);
      expect(job.result.usage.total_tokens).toBe(
        job.result.usage.input_tokens + job.result.usage.output_tokens,
      );
      const calls = system.simulator
        .counters()
        .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId);
      expect(calls).toHaveLength(1);
      expect(calls[0]?.model).toBe(upstream);
      expect(calls[0]?.route.startsWith(route)).toBe(true);
    },
  );

  it('runs a tool call on the Gemini model and returns it in the OpenAI shape', async () => {
    const jobId = await system.submit({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'What is the weather in Paris? Use get_weather.' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string' } },
              required: ['city'],
            },
          },
        },
      ],
    });
    const job = await system.waitForJob(jobId);
    expect(job.status).toBe('completed');
    expect(job.result.finish_reason).toBe('tool_calls');
    const [call] = job.result.message.tool_calls;
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: expect.any(String) });
  });
});
