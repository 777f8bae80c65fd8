import { type RecordingServer, startRecordingServer } from '@llmq/testing';
import type { Provider } from '../provider';
import { providerErrorOf } from '../test-support/provider-error-of';
import { createOpenAICompatibleProvider } from './openai-compatible-provider';

/**
 * The headers the OpenAI-compatible adapter puts on the wire: the account's, then the call's,
 * one value per name whatever the case each was given in (the transport sends every name it is
 * handed, so two spellings of one name would go out as two headers). A real server on a socket
 * records each request.
 */
let wire: RecordingServer;
let provider: Provider;

beforeAll(async () => {
  wire = await startRecordingServer();
  provider = createOpenAICompatibleProvider({
    id: 'local',
    baseURL: `${wire.url}/v1`,
    apiKey: 'sk-local',
    headers: { 'X-Tenant': 'configured' },
  });
});

afterAll(async () => {
  await provider.close?.();
  await wire.close();
});

beforeEach(() => {
  wire.requests.length = 0;
});

const callHeaders = { Accept: 'application/json', 'x-tenant': 'per-call' };

describe('OpenAI-compatible adapter on the wire', () => {
  it("lets a call's headers replace the account's, whatever their case", async () => {
    wire.answer = (response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          model: 'local-model',
          choices: [
            { index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' },
          ],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
    };
    await provider.languageModel('local-model').generate({
      messages: [{ role: 'user', content: 'hi' }],
      headers: callHeaders,
    });
    wire.answer = (response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          object: 'list',
          model: 'local-embed',
          data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
    };
    await provider.embeddingModel?.('local-embed').embed({ inputs: ['hi'], headers: callHeaders });

    expect(wire.requests).toHaveLength(2);
    for (const request of wire.requests) {
      expect(request.headers).toMatchObject({
        accept: 'application/json',
        'x-tenant': 'per-call',
        authorization: 'Bearer sk-local',
      });
    }
  });

  it('accepts application/json on every call, streams included, as the openai SDK does', async () => {
    wire.answer = (response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(
        `data: ${JSON.stringify({ id: 'c', model: 'm', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: 'stop' }] })}\n\n`,
      );
      response.end('data: [DONE]\n\n');
    };
    const parts = [];
    for await (const part of provider
      .languageModel('local-model')
      .stream({ messages: [{ role: 'user', content: 'hi' }] }))
      parts.push(part);
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
    expect(wire.requests).toHaveLength(1);
    expect(wire.requests[0]?.headers).toMatchObject({
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: 'Bearer sk-local',
    });
  });

  it.each([
    [
      // Mistral's unknown model, as its API answers it.
      400,
      '{"object":"error","message":"Invalid model: mistral-unknown","type":"invalid_model","param":null,"code":"1500","raw_status_code":400}',
      'model_not_found',
      'Invalid model: mistral-unknown',
    ],
    [
      // A FastAPI server's (vLLM's) validation error: pydantic's list at the top level.
      422,
      '{"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required","input":{}}]}',
      'unprocessable',
      'body.messages: Field required',
    ],
  ] as const)('reads a %i error body in its shape: %s', async (status, body, code, words) => {
    wire.answer = (response) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body);
    };
    const error = await providerErrorOf(
      provider
        .languageModel('local-model')
        .generate({ messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(error).toMatchObject({ code, statusCode: status, isRetryable: false });
    expect(error.message).toBe(`local: HTTP ${status}: ${words}`);
  });

  it("reads the request id of Mistral's 401 from its body, the header's when both are sent", async () => {
    // As Mistral's API answers a key it does not know: no x-request-id, the id in the body.
    const body = '{"message":"Unauthorized","request_id":"c61f2f15feca71626a990e3740f99245"}';
    wire.answer = (response) => {
      response.writeHead(401, { 'content-type': 'application/json; charset=utf-8' });
      response.end(body);
    };
    const call = () =>
      providerErrorOf(
        provider
          .languageModel('local-model')
          .generate({ messages: [{ role: 'user', content: 'hi' }] }),
      );
    expect(await call()).toMatchObject({
      code: 'authentication_failed',
      statusCode: 401,
      requestId: 'c61f2f15feca71626a990e3740f99245',
      message: 'local: HTTP 401: Unauthorized',
    });
    wire.answer = (response) => {
      response.writeHead(401, { 'content-type': 'application/json', 'x-request-id': 'req_h' });
      response.end(body);
    };
    expect((await call()).requestId).toBe('req_h');
  });
});
