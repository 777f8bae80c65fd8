/**
 * The headers llmq's lean transport sends, against what the official SDKs send for the same call
 * to the same server: everything the SDK sends goes out with the same value, but its telemetry
 * (`User-Agent`, `X-Stainless-*`) and what fetch adds by itself. A new SDK that changes a header
 * (Anthropic's `anthropic-version`) fails here until the adapter follows.
 */
import Anthropic from '@anthropic-ai/sdk';
import { type RecordedRequest, type RecordingServer, startRecordingServer } from '@llmq/testing';
import OpenAI, { AzureOpenAI } from 'openai';
import { createAnthropicProvider } from './anthropic/anthropic-provider';
import { createAzureOpenAIProvider } from './azure-openai/azure-openai-provider';
import { createOpenAIProvider } from './openai/openai-provider';
import type { Provider } from './provider';

let wire: RecordingServer;

beforeAll(async () => {
  wire = await startRecordingServer();
});

afterAll(async () => {
  await wire.close();
});

beforeEach(() => {
  wire.requests.length = 0;
});

/** Headers of the connection and of fetch itself, not of the API. */
const transportHeaders = new Set([
  'host',
  'connection',
  'content-length',
  'accept-encoding',
  'accept-language',
  'sec-fetch-mode',
]);

/** The SDKs' telemetry, which llmq leaves out. */
const isTelemetry = (name: string) => name === 'user-agent' || name.startsWith('x-stainless-');

function apiHeaders(request: RecordedRequest | undefined): Record<string, string> {
  expect(request).toBeDefined();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request?.headers ?? {})) {
    if (transportHeaders.has(name) || isTelemetry(name) || value === undefined) continue;
    headers[name] = String(value);
  }
  return headers;
}

async function ours(provider: Provider, modelId: string): Promise<Record<string, string>> {
  try {
    await provider.languageModel(modelId).generate({
      messages: [{ role: 'user', content: 'hi' }],
      maxTokens: 5,
    });
  } finally {
    await provider.close?.();
  }
  return apiHeaders(wire.requests.at(-1));
}

const chatCompletion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-test',
  choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
};

const message = {
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-test',
  content: [{ type: 'text', text: 'hi' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 1, output_tokens: 1 },
};

function answerWith(body: object) {
  wire.answer = (response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
}

describe("the transport's headers against the official SDKs'", () => {
  it('OpenAI: the same headers but the telemetry', async () => {
    answerWith(chatCompletion);
    const sdk = new OpenAI({ apiKey: 'sk-test', baseURL: `${wire.url}/v1`, maxRetries: 0 });
    await sdk.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 5,
    });
    const fromSdk = apiHeaders(wire.requests.at(-1));
    const fromUs = await ours(
      createOpenAIProvider({ id: 'o', apiKey: 'sk-test', baseURL: `${wire.url}/v1` }),
      'gpt-test',
    );
    expect(fromUs).toEqual(fromSdk);
  });

  it('Azure OpenAI: the same headers but the telemetry', async () => {
    answerWith(chatCompletion);
    const sdk = new AzureOpenAI({
      apiKey: 'az-key',
      endpoint: wire.url,
      apiVersion: '2024-10-21',
      maxRetries: 0,
    });
    await sdk.chat.completions.create({
      model: 'my-deployment',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 5,
    });
    const sdkRequest = wire.requests.at(-1);
    const fromSdk = apiHeaders(sdkRequest);
    const fromUs = await ours(
      createAzureOpenAIProvider({ id: 'az', apiKey: 'az-key', baseURL: wire.url }),
      'my-deployment',
    );
    expect(fromUs).toEqual(fromSdk);
    expect(wire.requests.at(-1)?.url).toBe(sdkRequest?.url);
  });

  it('Anthropic: the same headers but the telemetry, and the key in x-api-key too', async () => {
    answerWith(message);
    const sdk = new Anthropic({ apiKey: 'sk-ant', baseURL: wire.url, maxRetries: 0 });
    await sdk.messages.create({
      model: 'claude-test',
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const fromSdk = apiHeaders(wire.requests.at(-1));
    const fromUs = await ours(
      createAnthropicProvider({ id: 'a', apiKey: 'sk-ant', baseURL: wire.url }),
      'claude-test',
    );
    expect(fromUs).toEqual({ ...fromSdk, 'x-api-key': 'sk-ant' });
    expect(fromSdk['anthropic-version']).toEqual(expect.any(String));
  });
});
