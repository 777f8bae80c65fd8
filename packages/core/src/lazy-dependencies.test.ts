import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * An idle worker or API holds only what it uses: the tokenizer's tables, the provider SDKs
 * (Anthropic, OpenAI, Google Gen AI), the provider transport's undici and the OpenTelemetry SDK
 * and propagator load on first use (see `@llmq/tokenizer`, `anthropic-sdk.ts`, `openai-sdk.ts`,
 * `gemini-sdk.ts`, `http/keep-alive-pool.ts`, `tracing.ts`). This loads the built package in a fresh process, as the
 * apps do, and lists which of those packages importing it (and awaiting `script`) pulled in.
 * `answering(status, body)` in a script starts a local HTTP server that answers every request
 * so, and resolves with its base URL.
 */
function packagesLoadedBy(script: string): string[] {
  const dist = path.resolve(__dirname, '../dist');
  const probe = `
    const dist = ${JSON.stringify(dist)};
    const core = require(dist + '/index.js');
    const http = require('node:http');
    const servers = [];
    const answering = (status, body) => new Promise((resolve) => {
      const server = http.createServer((request, response) => {
        request.resume();
        request.on('end', () => {
          response.writeHead(status, { 'content-type': 'application/json', 'x-request-id': 'req_1' });
          response.end(JSON.stringify(body));
        });
      });
      servers.push(server);
      server.listen(0, '127.0.0.1', () => resolve('http://127.0.0.1:' + server.address().port));
    });
    (async () => {
      ${script}
    })().then(() => {
      const loaded = new Set();
      for (const file of Object.keys(require.cache)) {
        const match = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(file);
        if (match) loaded.add(match[1]);
      }
      process.stdout.write(JSON.stringify([...loaded]));
      process.exit(0);
    });
  `;
  return JSON.parse(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }));
}

const lazy = [
  'gpt-tokenizer',
  '@anthropic-ai/sdk',
  'openai',
  '@google/genai',
  'undici',
  '@opentelemetry/core',
  '@opentelemetry/sdk-trace-node',
  '@opentelemetry/exporter-trace-otlp-http',
];

describe('dependencies loaded on first use', () => {
  it('importing @llmq/core and building a tracer with tracing off loads none of them', () => {
    const loaded = packagesLoadedBy(`
      const tracing = core.createTracing({ serviceName: 'probe' });
      core.contextFromTraceHeaders({});
      // Configured accounts make no SDK client until their first call.
      const account = { id: 'a', apiKey: 'k', baseURL: 'http://127.0.0.1:9' };
      require(dist + '/providers/openai/openai-provider.js').createOpenAIProvider(account).languageModel('m');
      require(dist + '/providers/gemini/gemini-provider.js').createGeminiProvider(account).languageModel('m');
      require(dist + '/providers/azure-openai/azure-openai-provider.js').createAzureOpenAIProvider(account).languageModel('m');
    `);
    expect(loaded).toContain('bullmq');
    expect(lazy.filter((name) => loaded.includes(name))).toEqual([]);
  });

  it('routing a job that carries its submit-time token count loads no tokenizer', () => {
    const route = `
      const catalog = core.loadModelCatalog(undefined, { availableProviders: ['simulator-openai'] });
      const request = { messages: [{ role: 'user', content: 'Write two sentences about queues.' }], maxTokens: 64 };
      const routed = core.routeJob(catalog, { model: 'sim-gpt-fast', request, INPUT_TOKENS });
      if (!routed.ok) throw new Error(routed.message);
    `;
    // The worker routes every job again when it runs: with the count the API made, no tables.
    expect(packagesLoadedBy(route.replace('INPUT_TOKENS', 'inputTokens: 14'))).not.toContain(
      'gpt-tokenizer',
    );
    // The same job without a count (queued before counts were carried) counts, as before.
    expect(packagesLoadedBy(route.replace(', INPUT_TOKENS', ''))).toContain('gpt-tokenizer');
  });

  it('each loads when it is used', () => {
    const loaded = packagesLoadedBy(`
      new core.TokenTally().count('hello world');
      core.contextFromTraceHeaders({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      core.createTracing({ serviceName: 'probe', otlpEndpoint: 'http://127.0.0.1:9' });
      const request = { messages: [{ role: 'user', content: 'hi' }], maxTokens: 1 };
      const account = { id: 'a', apiKey: 'k', baseURL: 'http://127.0.0.1:9' };
      require(dist + '/providers/gemini/gemini-provider.js').createGeminiProvider(account)
        .languageModel('m').generate(request).catch(() => undefined);
      // The OpenAI and Anthropic adapters call over undici's pool (loaded then): their SDKs load
      // for the error classes of an error answer.
      const baseURL = await answering(429, { error: { message: 'slow down' } });
      for (const [file, create] of [
        ['anthropic/anthropic-provider', 'createAnthropicProvider'],
        ['openai/openai-provider', 'createOpenAIProvider'],
      ]) {
        await require(dist + '/providers/' + file + '.js')[create]({ ...account, baseURL })
          .languageModel('m').generate(request).catch(() => undefined);
      }
    `);
    expect(lazy.filter((name) => !loaded.includes(name))).toEqual([]);
  });

  it('an OpenAI or Anthropic call that succeeds, or cannot connect, loads no SDK', () => {
    const loaded = packagesLoadedBy(`
      const request = { messages: [{ role: 'user', content: 'hi' }], maxTokens: 1 };
      const chat = await answering(200, {
        id: 'chatcmpl-1',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
      const messages = await answering(200, {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'm',
        content: [{ type: 'text', text: 'hello' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 1, output_tokens: 1 },
      });
      for (const [file, create, baseURL] of [
        ['openai/openai-provider', 'createOpenAIProvider', chat],
        ['anthropic/anthropic-provider', 'createAnthropicProvider', messages],
      ]) {
        const provider = require(dist + '/providers/' + file + '.js')[create];
        const result = await provider({ id: 'a', apiKey: 'k', baseURL }).languageModel('m').generate(request);
        if (result.text !== 'hello') throw new Error('unexpected answer: ' + JSON.stringify(result));
        const refused = await provider({ id: 'b', apiKey: 'k', baseURL: 'http://127.0.0.1:9' })
          .languageModel('m').generate(request).catch((error) => error);
        if (refused.code !== 'connection_error') throw new Error('unexpected error: ' + refused);
      }
    `);
    expect(loaded).toContain('bullmq');
    expect(loaded.filter((name) => name === 'openai' || name === '@anthropic-ai/sdk')).toEqual([]);
  });

  it('an observed call with tracing off loads no OpenTelemetry package beyond the API', () => {
    // The worker observes every call (span, trace headers for the provider): with the no-op
    // tracer the span's context is the invalid one, and there is no trace to carry.
    const loaded = packagesLoadedBy(`
      const chat = await answering(200, {
        id: 'chatcmpl-1',
        model: 'm',
        choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
      const { tracer } = core.createTracing({ serviceName: 'probe' });
      const model = require(dist + '/providers/openai/openai-provider.js')
        .createOpenAIProvider({ id: 'a', apiKey: 'k', baseURL: chat }).languageModel('m');
      const logger = core.createLogger({ level: 'warn', service: 'probe' });
      const observed = core.observedModel(model, { tracer, logger }, {
        parent: core.contextFromTraceHeaders({}),
        catalogModel: 'm',
        logFields: {},
      });
      const request = { messages: [{ role: 'user', content: 'hi' }], maxTokens: 1 };
      const result = await observed.generate(request);
      if (result.text !== 'hello') throw new Error('unexpected answer: ' + JSON.stringify(result));
    `);
    expect(loaded).toContain('@opentelemetry/api');
    // The call itself loads the transport's undici; nothing else on the list may come with it.
    expect(lazy.filter((name) => name !== 'undici' && loaded.includes(name))).toEqual([]);
  });
});
