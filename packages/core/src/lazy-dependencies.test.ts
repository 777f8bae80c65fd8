import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * An idle worker or API holds only what it uses: the tokenizer's tables, the Anthropic SDK and
 * the OpenTelemetry SDK and propagator load on first use (see `@llmq/tokenizer`,
 * `anthropic-sdk.ts`, `tracing.ts`). This loads the built package in a fresh process, as the
 * apps do, and lists which of those packages importing it pulled in.
 */
function packagesLoadedBy(script: string): string[] {
  const dist = path.resolve(__dirname, '../dist');
  const probe = `
    const dist = ${JSON.stringify(dist)};
    const core = require(dist + '/index.js');
    ${script}
    const loaded = new Set();
    for (const file of Object.keys(require.cache)) {
      const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);
      if (match) loaded.add(match[1]);
    }
    process.stdout.write(JSON.stringify([...loaded]));
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
}

const lazy = [
  'gpt-tokenizer',
  '@anthropic-ai/sdk',
  '@opentelemetry/core',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/exporter-trace-otlp-http',
];

describe('dependencies loaded on first use', () => {
  it('importing @llmq/core and building a tracer with tracing off loads none of them', () => {
    const loaded = packagesLoadedBy(`
      const tracing = core.createTracing({ serviceName: 'probe' });
      core.contextFromTraceHeaders({});
    `);
    expect(loaded).toContain('bullmq');
    expect(lazy.filter((name) => loaded.includes(name))).toEqual([]);
  });

  it('each loads when it is used', () => {
    const loaded = packagesLoadedBy(`
      new core.TokenTally().count('hello world');
      core.contextFromTraceHeaders({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      core.createTracing({ serviceName: 'probe', otlpEndpoint: 'http://127.0.0.1:9' });
      require(dist + '/providers/anthropic/anthropic-provider.js').createAnthropicProvider({ id: 'a', apiKey: 'k' }).languageModel('m')
        .generate({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 1 }).catch(() => undefined);
    `);
    expect(lazy.filter((name) => !loaded.includes(name))).toEqual([]);
  });
});
