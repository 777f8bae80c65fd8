import { type RecordingServer, startRecordingServer } from '@llmq/testing';
import { createAzureOpenAIProvider } from '../azure-openai/azure-openai-provider';
import type { GenerateRequest, StreamPart } from '../language-model';
import type { Provider } from '../provider';
import { isProviderError, type ProviderError } from '../provider-error';
import { createOpenAIProvider } from './openai-provider';

/**
 * What the OpenAI adapter puts on the wire now that it calls over the lean transport, not the
 * SDK: URLs (path prefixes, Azure deployments and api-version), the headers servers need, and
 * error answers and stream error events mapped as the SDK's error classes were. A real server on
 * a socket records each request and answers what the test set.
 */
let wire: RecordingServer;
const providers: Provider[] = [];

const completion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  model: 'gpt-test',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

function answerJson(status: number, body: unknown, headers: Record<string, string> = {}) {
  wire.answer = (response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

beforeAll(async () => {
  wire = await startRecordingServer();
});

afterAll(async () => {
  await Promise.all(providers.map((provider) => provider.close?.()));
  await wire.close();
});

beforeEach(() => {
  wire.requests.length = 0;
  answerJson(200, completion);
});

function track(provider: Provider): Provider {
  providers.push(provider);
  return provider;
}

const request: GenerateRequest = { messages: [{ role: 'user', content: 'hi' }], maxTokens: 5 };

async function errorOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!isProviderError(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

describe('OpenAI adapter on the wire', () => {
  it('posts to the base URL path with the key, JSON headers, and configured headers overriding by name', async () => {
    const provider = track(
      createOpenAIProvider({
        id: 'openai-wire',
        apiKey: 'sk-test',
        baseURL: `${wire.url}/proxy/v1/`,
        headers: { 'OpenAI-Organization': 'org-1', 'X-Team': 'blue' },
      }),
    );
    const result = await provider
      .languageModel('gpt-test')
      .generate({ ...request, headers: { 'X-Team': 'red', traceparent: 'tp' } });
    expect(result.text).toBe('hello');
    expect(wire.requests).toHaveLength(1);
    const [sent] = wire.requests;
    expect(sent).toMatchObject({ method: 'POST', url: '/proxy/v1/chat/completions' });
    expect(sent?.headers).toMatchObject({
      authorization: 'Bearer sk-test',
      'content-type': 'application/json',
      accept: 'application/json',
      'openai-organization': 'org-1',
      'x-team': 'red',
      traceparent: 'tp',
    });
    expect(sent?.body).toMatchObject({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      max_completion_tokens: 5,
      stream: false,
    });
  });

  it('sends a configured Authorization in place of a key, and refuses an account with both', async () => {
    // A gateway's token instead of the provider's key: explicit, and nothing else is sent.
    const provider = track(
      createOpenAIProvider({
        id: 'openai-auth',
        baseURL: `${wire.url}/v1`,
        headers: { Authorization: 'Bearer gateway-key' },
      }),
    );
    await provider.languageModel('gpt-test').generate(request);
    expect(wire.requests[0]?.headers.authorization).toBe('Bearer gateway-key');
    // Both: the header would silently replace the key.
    expect(() =>
      createOpenAIProvider({
        id: 'openai-both',
        apiKey: 'sk-test',
        baseURL: `${wire.url}/v1`,
        headers: { authorization: 'Bearer gateway-key' },
      }),
    ).toThrow(
      'Provider "openai-both" (openai): headers.authorization would replace the key given in apiKey; give one of them',
    );
  });

  it('puts an Azure deployment and api-version in the URL and the key in api-key', async () => {
    const provider = track(
      createAzureOpenAIProvider({
        id: 'azure-wire',
        apiKey: 'azure-key',
        baseURL: `${wire.url}/`,
        apiVersion: '2024-10-21',
      }),
    );
    await provider.languageModel('my-deployment').generate(request);
    answerJson(200, { data: [{ index: 0, embedding: [0.5, 0.25] }], model: 'e' });
    await provider.embeddingModel?.('my-embedder').embed({ inputs: ['a'] });
    expect(wire.requests.map((sent) => sent.url)).toEqual([
      '/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21',
      '/openai/deployments/my-embedder/embeddings?api-version=2024-10-21',
    ]);
    expect(wire.requests[0]?.headers['api-key']).toBe('azure-key');
    expect(wire.requests[0]?.headers.authorization).toBeUndefined();
    expect(wire.requests[1]?.body).toEqual({
      model: 'my-embedder',
      input: ['a'],
      encoding_format: 'float',
    });
  });

  it('maps an error answer as the SDK error did: status, message, request id, Retry-After', async () => {
    const provider = track(
      createOpenAIProvider({ id: 'openai-errors', apiKey: 'k', baseURL: `${wire.url}/v1` }),
    );
    const model = provider.languageModel('gpt-test');
    answerJson(
      429,
      { error: { message: 'slow down', type: 'rate_limit_error' } },
      { 'x-request-id': 'req_429', 'retry-after-ms': '1500' },
    );
    expect(await errorOf(model.generate(request))).toMatchObject({
      code: 'rate_limited',
      statusCode: 429,
      requestId: 'req_429',
      retryAfterMs: 1500,
      isRetryable: true,
      message: 'openai-errors: HTTP 429: slow down',
    });
    answerJson(400, { error: { message: 'flagged', code: 'content_filter' } });
    expect(await errorOf(model.generate(request))).toMatchObject({
      code: 'content_filtered',
      statusCode: 400,
      isRetryable: false,
    });
    answerJson(502, 'Bad Gateway from the proxy');
    const badGateway = await errorOf(model.generate(request));
    expect(badGateway).toMatchObject({ code: 'server_error', statusCode: 502, isRetryable: true });
    expect(badGateway.message).toContain('Bad Gateway from the proxy');
  });

  it('ends a stream that reports an error event mid-way with a retryable stream_interrupted', async () => {
    const provider = track(
      createOpenAIProvider({ id: 'openai-stream', apiKey: 'k', baseURL: `${wire.url}/v1` }),
    );
    wire.answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': 'req_s' });
      response.write(
        `data: ${JSON.stringify({ id: 'c1', model: 'gpt-test', choices: [{ index: 0, delta: { content: 'Hel' } }] })}\n\n`,
      );
      response.end(`data: ${JSON.stringify({ error: { message: 'upstream fell over' } })}\n\n`);
    };
    const parts: StreamPart[] = [];
    const error = await errorOf(
      (async () => {
        for await (const part of provider.languageModel('gpt-test').stream(request)) {
          parts.push(part);
        }
      })(),
    );
    expect(wire.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(parts).toEqual([
      expect.objectContaining({ type: 'response-metadata' }),
      { type: 'text-delta', delta: 'Hel' },
    ]);
    expect(error).toMatchObject({
      code: 'stream_interrupted',
      requestId: 'req_s',
      isRetryable: true,
    });
    expect(error.message).toContain('upstream fell over');
  });
});
