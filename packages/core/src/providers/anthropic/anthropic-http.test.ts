import { type RecordingServer, startRecordingServer } from '@llmq/testing';
import type { GenerateRequest, StreamPart } from '../language-model';
import type { Provider } from '../provider';
import { isProviderError, type ProviderError } from '../provider-error';
import { createAnthropicProvider } from './anthropic-provider';

/**
 * What the Anthropic adapter puts on the wire now that it calls over the lean transport, not
 * the SDK: the URL (with a path prefix), the headers the API needs, error answers and `error`
 * events mapped as the SDK's error classes were. A real server on a socket records each request
 * and answers what the test set.
 */
let wire: RecordingServer;
let provider: Provider;

const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-test',
  content: [{ type: 'text', text: 'hello' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 3, output_tokens: 1 },
};

beforeAll(async () => {
  wire = await startRecordingServer();
  provider = createAnthropicProvider({
    id: 'anthropic-wire',
    apiKey: 'sk-ant',
    baseURL: `${wire.url}/proxy/`,
    headers: { 'X-Team': 'blue' },
  });
});

afterAll(async () => {
  await provider.close?.();
  await wire.close();
});

beforeEach(() => {
  wire.requests.length = 0;
  wire.answer = (response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(message));
  };
});

const request: GenerateRequest = { messages: [{ role: 'user', content: 'hi' }], maxTokens: 5 };

async function errorOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  if (!isProviderError(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

function sse(events: ReadonlyArray<[string, unknown]>): string {
  return events
    .map(([event, data]) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
    .join('');
}

describe('Anthropic adapter on the wire', () => {
  it('posts to {baseURL}/v1/messages with the version, the key both ways and configured headers', async () => {
    const result = await provider
      .languageModel('claude-test')
      .generate({ ...request, headers: { 'x-team': 'red' } });
    expect(result.text).toBe('hello');
    expect(wire.requests[0]?.url).toBe('/proxy/v1/messages');
    expect(wire.requests[0]?.headers).toMatchObject({
      'x-api-key': 'sk-ant',
      authorization: 'Bearer sk-ant',
      'content-type': 'application/json',
      accept: 'application/json',
      'x-team': 'red',
    });
    expect(wire.requests[0]?.headers['anthropic-version']).toEqual(expect.any(String));
    expect(wire.requests[0]?.body).toMatchObject({
      model: 'claude-test',
      max_tokens: 5,
      stream: false,
    });
  });

  it('sends a configured x-api-key in place of a key, and no bearer copy of a key it has not', async () => {
    const gateway = createAnthropicProvider({
      id: 'anthropic-gateway',
      baseURL: wire.url,
      headers: { 'X-Api-Key': 'gateway-key' },
    });
    try {
      await gateway.languageModel('claude-test').generate(request);
    } finally {
      await gateway.close?.();
    }
    expect(wire.requests[0]?.headers['x-api-key']).toBe('gateway-key');
    expect(wire.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('maps an error answer as the SDK error did: status, message, request id, Retry-After', async () => {
    wire.answer = (response) => {
      response.writeHead(529, {
        'content-type': 'application/json',
        'request-id': 'req_529',
        'retry-after': '3',
      });
      response.end(
        JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'busy' } }),
      );
    };
    expect(await errorOf(provider.languageModel('claude-test').generate(request))).toMatchObject({
      code: 'overloaded',
      statusCode: 529,
      requestId: 'req_529',
      retryAfterMs: 3000,
      isRetryable: true,
      message: 'anthropic-wire: HTTP 529: busy',
    });
  });

  it('skips pings and ends a stream at an error event with the code of its type', async () => {
    wire.answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream', 'request-id': 'req_s' });
      response.end(
        sse([
          ['message_start', { type: 'message_start', message: { ...message, content: [] } }],
          ['ping', { type: 'ping' }],
          [
            'content_block_start',
            { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
          ],
          [
            'content_block_delta',
            { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
          ],
          ['error', { type: 'error', error: { type: 'overloaded_error', message: 'busy' } }],
        ]),
      );
    };
    const parts: StreamPart[] = [];
    const error = await errorOf(
      (async () => {
        for await (const part of provider.languageModel('claude-test').stream(request)) {
          parts.push(part);
        }
      })(),
    );
    expect(wire.requests[0]?.body).toMatchObject({ stream: true });
    expect(parts).toEqual([
      expect.objectContaining({ type: 'response-metadata' }),
      { type: 'text-delta', delta: 'Hel' },
    ]);
    expect(error).toMatchObject({ code: 'overloaded', requestId: 'req_s', isRetryable: true });
    expect(error.message).toContain('busy');
  });
});
