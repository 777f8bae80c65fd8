/**
 * The contract every provider adapter must pass, against the llmq simulator over real HTTP:
 * a new adapter is done when its row here is green.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startSimulator } from '@llmq/llm-simulator';
import { answerText } from '../messages/chat-result';
import type { ToolDefinition } from '../messages/tool-definition';
import { isHealthFailure } from '../resilience/retry-policy';
import { createAnthropicProvider } from './anthropic/anthropic-provider';
import { createAzureOpenAIProvider } from './azure-openai/azure-openai-provider';
import { createGeminiProvider } from './gemini/gemini-provider';
import type { GenerateRequest, LanguageModel, StreamPart } from './language-model';
import { createOpenAIProvider } from './openai/openai-provider';
import { createOpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider';
import type { Provider } from './provider';
import { providerErrorOf } from './test-support/provider-error-of';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

/**
 * The adapters' call timeout, as the other suites that call the simulator give their providers:
 * a healthy simulator answer takes milliseconds, but on a loaded machine a call (and the first
 * call of an account, which loads its SDK) can take over a second.
 */
const timeoutMs = 5000;

/** Short, for the cases about the timeout itself, so `hang` faults and stalls end quickly. */
const hangTimeoutMs = 1000;

/**
 * Message-model features an adapter's cases run for. A case is skipped for an adapter when
 * its provider has no such feature (`openai-options` such as logprobs and `n` on Claude, which
 * the converter refuses, see dialects/round-trip.test.ts; `anthropic-fidelity` on OpenAI), when
 * its simulator model lacks the capability (`sim-local-llama` has no vision or reasoning), or
 * when the simulator does not speak it in that dialect yet (Anthropic structured output,
 * issue #16). Gemini has no switch for parallel tool calls (the adapter refuses
 * `parallelToolCalls: false`), and sends no rate-limit headers and no request id.
 */
type Feature =
  | 'tools'
  | 'parallel-tool-calls'
  | 'rate-limit-headers'
  | 'request-ids'
  | 'json-schema'
  | 'images'
  | 'reasoning'
  | 'anthropic-fidelity'
  | 'openai-options'
  /** The provider keeps its own connections, and `close()` closes them (Gemini's SDK uses fetch's). */
  | 'own-connections';

interface AdapterCase {
  name: string;
  features: readonly Feature[];
  /** A simulator model of this dialect with the `reasoning` capability. */
  reasoningModelId?: string;
  /** A simulator model answering in this adapter's dialect. */
  modelId: string;
  /** The adapter's provider, its calls cut after `callTimeoutMs` (default {@link timeoutMs}). */
  createProvider(simulatorUrl: string, callTimeoutMs?: number): Provider;
}

const openAIFeatures: readonly Feature[] = [
  'own-connections',
  'tools',
  'parallel-tool-calls',
  'rate-limit-headers',
  'request-ids',
  'json-schema',
  'images',
  'reasoning',
  'openai-options',
];

const adapters: AdapterCase[] = [
  {
    name: 'openai',
    features: [...openAIFeatures],
    reasoningModelId: 'sim-gpt-reasoning',
    modelId: 'sim-gpt-fast',
    createProvider: (url, callTimeoutMs = timeoutMs) =>
      createOpenAIProvider({
        id: 'sim-openai',
        apiKey: 'x',
        baseURL: `${url}/v1`,
        timeoutMs: callTimeoutMs,
      }),
  },
  {
    name: 'azure-openai',
    // The simulator's deployments are its models: `sim-gpt-fast` is a deployment name here.
    features: [...openAIFeatures],
    reasoningModelId: 'sim-gpt-reasoning',
    modelId: 'sim-gpt-fast',
    createProvider: (url, callTimeoutMs = timeoutMs) =>
      createAzureOpenAIProvider({
        id: 'sim-azure',
        apiKey: 'x',
        baseURL: url,
        timeoutMs: callTimeoutMs,
      }),
  },
  {
    name: 'gemini',
    features: ['tools', 'json-schema', 'images', 'reasoning'],
    reasoningModelId: 'sim-gemini-thinking',
    modelId: 'sim-gemini-flash',
    createProvider: (url, callTimeoutMs = timeoutMs) =>
      createGeminiProvider({
        id: 'sim-gemini',
        apiKey: 'x',
        baseURL: url,
        timeoutMs: callTimeoutMs,
      }),
  },
  {
    name: 'anthropic',
    // The simulator has no Anthropic structured output (`output_config`) yet.
    features: [
      'own-connections',
      'tools',
      'parallel-tool-calls',
      'rate-limit-headers',
      'request-ids',
      'images',
      'reasoning',
      'anthropic-fidelity',
    ],
    reasoningModelId: 'sim-claude-thinking',
    modelId: 'sim-claude-fast',
    createProvider: (url, callTimeoutMs = timeoutMs) =>
      createAnthropicProvider({
        id: 'sim-anthropic',
        apiKey: 'x',
        baseURL: url,
        timeoutMs: callTimeoutMs,
      }),
  },
  {
    name: 'openai-compatible',
    features: [
      'own-connections',
      'tools',
      'parallel-tool-calls',
      'rate-limit-headers',
      'request-ids',
      'json-schema',
      'openai-options',
    ],
    modelId: 'sim-local-llama',
    createProvider: (url, callTimeoutMs = timeoutMs) =>
      createOpenAICompatibleProvider({
        id: 'sim-local',
        apiKey: 'x',
        baseURL: `${url}/v1`,
        timeoutMs: callTimeoutMs,
      }),
  },
];

/** A 1×1 PNG. */
const onePixelPng =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const user = (content: string): GenerateRequest['messages'] => [{ role: 'user', content }];

async function collect(model: LanguageModel, request: GenerateRequest): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of model.stream(request)) parts.push(part);
  return parts;
}

/** Streams until the end, recording parts, and returns the ProviderError the stream threw. */
async function streamErrorOf(model: LanguageModel, request: GenerateRequest) {
  const parts: StreamPart[] = [];
  const error = await providerErrorOf(
    (async () => {
      for await (const part of model.stream(request)) parts.push(part);
    })(),
  );
  return { error, parts };
}

let simulator: Simulator;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await simulator?.close();
});

describe.each(adapters)('$name adapter', (adapter) => {
  let provider: Provider;
  let model: LanguageModel;

  beforeAll(() => {
    provider = adapter.createProvider(simulator.url);
    model = provider.languageModel(adapter.modelId);
  });

  afterAll(async () => {
    await provider.close?.();
  });

  beforeEach(() => {
    simulator.reset();
  });

  it('knows its provider and model', () => {
    expect(model.provider).toBe(provider.id);
    expect(model.modelId).toBe(adapter.modelId);
  });

  it('generates the echoed text with the usage the simulator counted', async () => {
    const result = await model.generate({ messages: user('echo: The quick brown fox.') });
    expect(result.text).toBe('The quick brown fox.');
    expect(result.finishReason).toBe('stop');
    expect(result.responseModel).toBe(adapter.modelId);
    expect(result.responseId).toEqual(expect.any(String));
    const counters = simulator.counters();
    expect(result.usage).toEqual({
      inputTokens: counters.inputTokens,
      outputTokens: counters.outputTokens,
      cachedInputTokens: 0,
      totalTokens: counters.inputTokens + counters.outputTokens,
    });
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });

  it('streams deltas that add up to the generated text, then one finish part with the same usage', async () => {
    const request: GenerateRequest = { messages: user('Tell me about queues.') };
    const generated = await model.generate(request);
    expect(generated.text.startsWith('[sim] ')).toBe(true);

    const parts = await collect(model, request);
    const deltas = parts.filter((part) => part.type === 'text-delta');
    const finishes = parts.filter((part) => part.type === 'finish');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((part) => part.delta).join('')).toBe(generated.text);
    expect(finishes).toHaveLength(1);
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: generated.finishReason,
      usage: generated.usage,
      responseModel: adapter.modelId,
      responseId: expect.any(String),
      // What the provider says of the system that answered, streamed as whole (OpenAI format).
      ...(generated.systemFingerprint !== undefined
        ? { systemFingerprint: generated.systemFingerprint }
        : {}),
      ...(generated.serviceTier !== undefined ? { serviceTier: generated.serviceTier } : {}),
    });
  });

  it('sends system messages as the system prompt', async () => {
    const withoutSystem = await model.generate({ messages: user('echo: ok') });
    simulator.reset();
    const withSystem = await model.generate({
      messages: [
        { role: 'system', content: 'You are a terse assistant who answers in one word.' },
        ...user('echo: ok'),
      ],
    });
    expect(withSystem.text).toBe('ok');
    expect(withSystem.usage.inputTokens).toBeGreaterThan(withoutSystem.usage.inputTokens);
    expect(withSystem.usage.inputTokens).toBe(simulator.counters().inputTokens);
  });

  it('stops at maxTokens with finish reason `length`, whole or streamed', async () => {
    const request: GenerateRequest = {
      messages: user('echo: one two three four five six seven eight'),
      maxTokens: 3,
    };
    const result = await model.generate(request);
    expect(result.finishReason).toBe('length');
    expect(result.usage.outputTokens).toBe(3);
    const finish = (await collect(model, request)).at(-1);
    expect(finish).toMatchObject({ type: 'finish', finishReason: 'length', usage: result.usage });
  });

  it('forwards per-request headers', async () => {
    await model.generate({ messages: user('echo: hi'), headers: { 'x-llmq-job-id': 'job-42' } });
    await collect(model, { messages: user('echo: hi'), headers: { 'x-llmq-job-id': 'job-43' } });
    const jobIds = simulator.counters().recent.map((call) => call.headers['x-llmq-job-id']);
    expect(jobIds).toEqual(['job-42', 'job-43']);
  });

  const itWith = (feature: Feature) => (adapter.features.includes(feature) ? it : it.skip);

  itWith('rate-limit-headers')('reads rate-limit headers when the model has limits', async () => {
    simulator.configure({ models: { [adapter.modelId]: { rpm: 100 } } });
    try {
      const result = await model.generate({ messages: user('echo: hi') });
      expect(result.rateLimit).toMatchObject({
        remainingRequests: 99,
        resetRequestsMs: expect.any(Number),
      });
    } finally {
      simulator.configure({ models: { [adapter.modelId]: { rpm: 0 } } });
    }
  });

  const weatherTool: ToolDefinition = {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    },
  };

  /** Streams a request and rebuilds the answer's parts from the stream parts. */
  async function assemble(request: GenerateRequest) {
    const parts = await collect(model, request);
    const calls: Array<{ toolCallId: string; toolName: string; arguments: string }> = [];
    let text = '';
    for (const part of parts) {
      if (part.type === 'text-delta') text += part.delta;
      if (part.type === 'tool-call-start') {
        calls[part.index] = { toolCallId: part.toolCallId, toolName: part.toolName, arguments: '' };
      }
      if (part.type === 'tool-call-delta') {
        const call = calls[part.index];
        if (call === undefined)
          throw new Error(`argument delta before the start of call ${part.index}`);
        call.arguments += part.argumentsDelta;
      }
    }
    return { text, calls, finish: parts.at(-1) };
  }

  // See `Feature` for why a case is skipped for an adapter.
  itWith('tools')(
    'runs a two-step tool loop: a tool call, then an answer to its result',
    async () => {
      const first: GenerateRequest = {
        messages: user('What is the weather in Paris? Use get_weather.'),
        tools: [weatherTool],
      };
      const call = await model.generate(first);
      expect(call.finishReason).toBe('tool_calls');
      const toolCalls = call.content.filter((part) => part.type === 'tool-call');
      expect(toolCalls).toHaveLength(1);
      const [toolCall] = toolCalls;
      if (toolCall?.type !== 'tool-call') throw new Error('no tool call');
      expect(toolCall.toolName).toBe('get_weather');
      expect(JSON.parse(toolCall.arguments)).toEqual({ city: expect.any(String) });

      const streamed = await assemble(first);
      expect(streamed.calls).toEqual([
        { toolCallId: expect.any(String), toolName: 'get_weather', arguments: toolCall.arguments },
      ]);
      expect(streamed.finish).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });

      const second: GenerateRequest = {
        ...first,
        messages: [
          ...first.messages,
          { role: 'assistant', content: call.content },
          {
            role: 'tool',
            content: [
              { type: 'tool-result', toolCallId: toolCall.toolCallId, content: 'sunny, 21 °C' },
            ],
          },
        ],
      };
      const answer = await model.generate(second);
      expect(answer.finishReason).toBe('stop');
      expect(answer.text).toBe('[sim] get_weather returned: sunny, 21 °C');
      expect(answer.content).toEqual([{ type: 'text', text: answer.text }]);
    },
  );

  itWith('tools')('obeys a forced tool choice and tool_choice none', async () => {
    const forced = await model.generate({
      messages: user('Say something.'),
      tools: [weatherTool],
      toolChoice: { type: 'tool', toolName: 'get_weather' },
    });
    expect(forced.content.map((part) => part.type)).toEqual(['tool-call']);
    const none = await model.generate({
      messages: user('echo: Use get_weather.'),
      tools: [weatherTool],
      toolChoice: 'none',
    });
    expect(none.finishReason).toBe('stop');
    expect(none.text).toBe('Use get_weather.');
  });

  itWith('json-schema')('answers JSON that fits a json_schema response format', async () => {
    const request: GenerateRequest = {
      messages: user('Describe a city.'),
      responseFormat: {
        type: 'json_schema',
        name: 'city',
        strict: true,
        schema: {
          type: 'object',
          properties: { name: { type: 'string' }, population: { type: 'integer' } },
          required: ['name', 'population'],
          additionalProperties: false,
        },
      },
    };
    const result = await model.generate(request);
    const value = JSON.parse(result.text);
    expect(value).toEqual({ name: expect.any(String), population: expect.any(Number) });
    expect(Number.isInteger(value.population)).toBe(true);
    expect((await assemble(request)).text).toBe(result.text);
  });

  itWith('json-schema')('answers a json_object response format with JSON', async () => {
    const result = await model.generate({
      messages: user('Answer in JSON. echo: {"ok": true}'),
      responseFormat: { type: 'json_object' },
    });
    expect(JSON.parse(result.text)).toEqual({ ok: true });
  });

  itWith('images')('takes an image part and counts its tokens as input', async () => {
    const text = await model.generate({ messages: user('echo: seen') });
    simulator.reset();
    const withImage = await model.generate({
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'image',
              source: { type: 'base64', mediaType: 'image/png', data: onePixelPng },
            },
            { type: 'text', text: 'echo: seen' },
          ],
        },
      ],
    });
    expect(withImage.text).toBe('seen');
    expect(withImage.usage.inputTokens).toBe(simulator.counters().inputTokens);
    expect(withImage.usage.inputTokens).toBeGreaterThan(text.usage.inputTokens);
  });

  itWith('reasoning')(
    'runs a reasoning model with maxTokens and reports reasoning, whole or streamed',
    async () => {
      const reasoner = provider.languageModel(adapter.reasoningModelId ?? '');
      const request: GenerateRequest = {
        messages: user('echo: done'),
        reasoning: { effort: 'low' },
        maxTokens: 4000,
      };
      const result = await reasoner.generate(request);
      expect(result.text).toBe('done');
      expect(result.usage.reasoningTokens).toBeGreaterThan(0);
      const parts = await collect(reasoner, request);
      expect(parts.at(-1)).toMatchObject({ type: 'finish', usage: result.usage });
      if (adapter.name !== 'anthropic') return;
      // Claude returns its thinking, signed; the next turn sends it back and the signature holds.
      const [thinking] = result.content;
      expect(thinking).toEqual({
        type: 'reasoning',
        text: expect.any(String),
        signature: expect.any(String),
      });
      const streamed = parts
        .filter((part) => part.type === 'reasoning-delta')
        .map((part) => part.delta);
      expect(streamed.join('')).toBe(thinking?.type === 'reasoning' ? thinking.text : undefined);
      expect(parts).toContainEqual({
        type: 'reasoning-signature',
        signature: thinking?.type === 'reasoning' ? thinking.signature : undefined,
      });
      const next: GenerateRequest = {
        ...request,
        messages: [
          ...request.messages,
          { role: 'assistant', content: result.content },
          ...user('echo: again'),
        ],
      };
      expect((await reasoner.generate(next)).text).toBe('again');
      const tampered: GenerateRequest = {
        ...next,
        messages: [
          ...request.messages,
          {
            role: 'assistant',
            content: [{ type: 'reasoning', text: 'not what I thought', signature: 'forged' }],
          },
          ...user('echo: again'),
        ],
      };
      expect(await providerErrorOf(reasoner.generate(tampered))).toMatchObject({
        code: 'bad_request',
        statusCode: 400,
      });
    },
  );

  it('stops at a stop sequence (Anthropic also says which), whole or streamed', async () => {
    const request: GenerateRequest = {
      messages: user('echo: one two three four'),
      stop: ['three'],
    };
    const result = await model.generate(request);
    expect(result.finishReason).toBe('stop');
    expect(result.text.startsWith('one two')).toBe(true);
    expect(result.text.includes('three')).toBe(false);
    const finish = (await collect(model, request)).at(-1);
    expect(finish).toMatchObject({ type: 'finish', finishReason: 'stop' });
    const said = adapter.features.includes('anthropic-fidelity') ? 'three' : undefined;
    expect(result.stopSequence).toBe(said);
    expect(finish?.type === 'finish' && finish.stopSequence).toBe(said);
  });

  itWith('anthropic-fidelity')(
    'sends cache_control breakpoints: a cache write, then a cache read',
    async () => {
      const request: GenerateRequest = {
        messages: [
          {
            role: 'system',
            content: [
              { type: 'text', text: 'Rules. '.repeat(700), cacheControl: { type: 'ephemeral' } },
            ],
          },
          ...user('echo: ok'),
        ],
      };
      const first = await model.generate(request);
      expect(first.usage.cacheWriteInputTokens).toBeGreaterThan(1024);
      const second = await model.generate(request);
      expect(second.usage.cachedInputTokens).toBe(first.usage.cacheWriteInputTokens);
      expect(second.usage.cacheWriteInputTokens).toBeUndefined();
      expect(second.usage.inputTokens).toBe(first.usage.inputTokens);
    },
  );

  itWith('anthropic-fidelity')(
    'passes temperature and top_p through to the Messages API, and refuses seed before any call',
    async () => {
      const sampled = await model.generate({
        messages: user('echo: sampled'),
        temperature: 0.5,
        topP: 0.9,
      });
      expect(sampled.text).toBe('sampled');
      // The fields reach the API: it refuses a temperature other than 1 with thinking on.
      const reasoner = provider.languageModel(adapter.reasoningModelId ?? '');
      const refused = await providerErrorOf(
        reasoner.generate({
          messages: user('echo: hot'),
          reasoning: { budgetTokens: 1024 },
          maxTokens: 4000,
          temperature: 0.5,
        }),
      );
      expect(refused).toMatchObject({ statusCode: 400, isRetryable: false });
      expect(refused.message).toContain('temperature');

      simulator.reset();
      const seeded = await providerErrorOf(model.generate({ messages: user('echo: x'), seed: 7 }));
      expect(seeded).toMatchObject({
        code: 'unsupported_parameter',
        statusCode: 400,
        isRetryable: false,
      });
      expect(seeded.message).toContain('"seed"');
      expect(simulator.counters().total).toBe(0);
    },
  );

  itWith('openai-options')('returns logprobs when asked', async () => {
    const result = await model.generate({
      messages: user('echo: a b c'),
      logprobs: true,
      topLogprobs: 2,
    });
    expect(result.text).toBe('a b c');
    expect(result.logprobs?.map((entry) => entry.token).join('')).toBe('a b c');
    expect(result.logprobs?.[0]?.topLogprobs).toHaveLength(2);
  });

  itWith('openai-options')(
    'sends verbosity, prompt_cache_key and safety_identifier by their OpenAI names (the simulator refuses unknown fields)',
    async () => {
      const result = await model.generate({
        messages: user('echo: fine'),
        verbosity: 'low',
        promptCacheKey: 'tenant-a',
        safetyIdentifier: 'user-1',
      });
      expect(result.text).toBe('fine');
    },
  );

  itWith('parallel-tool-calls')(
    'makes one tool call at a time when parallel tool calls are off',
    async () => {
      const timeTool: ToolDefinition = {
        name: 'get_time',
        parameters: { type: 'object', properties: {} },
      };
      const request: GenerateRequest = {
        messages: user('Use get_weather and get_time.'),
        tools: [weatherTool, timeTool],
      };
      const both = await model.generate(request);
      expect(both.content.filter((part) => part.type === 'tool-call')).toHaveLength(2);
      const one = await model.generate({ ...request, parallelToolCalls: false });
      expect(one.content.filter((part) => part.type === 'tool-call')).toHaveLength(1);
    },
  );

  itWith('openai-options')(
    'returns n answers, whole or streamed interleaved with each part naming its choice',
    async () => {
      const request: GenerateRequest = { messages: user('Tell me about queues.'), n: 2 };
      const result = await model.generate(request);
      expect(result.otherChoices).toHaveLength(1);
      expect(result.otherChoices?.[0]?.content[0]).toEqual({
        type: 'text',
        text: expect.any(String),
      });
      expect(result.usage.outputTokens).toBe(simulator.counters().outputTokens);
      const parts = await collect(model, request);
      const textOf = (choice: number) =>
        parts
          .map((part) =>
            part.type === 'text-delta' && (part.choice ?? 0) === choice ? part.delta : '',
          )
          .join('');
      expect(textOf(0)).toBe(result.text);
      expect(textOf(1)).toBe(answerText(result.otherChoices?.[0]?.content ?? []));
      // The two answers' parts interleave as they were generated, not one after the other.
      const choices = parts
        .filter((part) => part.type === 'text-delta')
        .map((part) => part.choice ?? 0);
      expect(choices.indexOf(1)).toBeLessThan(choices.lastIndexOf(0));
      // Each answer ends as it ends (a `choice-end` after its last part, the reason the
      // `finish` part repeats), while the other may stream on.
      const reasons = [result.finishReason, result.otherChoices?.[0]?.finishReason];
      for (const choice of [0, 1]) {
        const ends = parts.flatMap((part, position) =>
          part.type === 'choice-end' && (part.choice ?? 0) === choice ? [position] : [],
        );
        expect(ends).toHaveLength(1);
        expect(parts[ends[0] ?? -1]).toMatchObject({ finishReason: reasons[choice] });
        const after = parts.slice((ends[0] ?? 0) + 1);
        expect(after.some((part) => part.type !== 'finish' && (part.choice ?? 0) === choice)).toBe(
          false,
        );
      }
      expect(parts.at(-1)).toMatchObject({
        type: 'finish',
        finishReason: result.finishReason,
        otherFinishReasons: [result.otherChoices?.[0]?.finishReason],
        usage: { outputTokens: result.usage.outputTokens },
      });
    },
  );

  describe('failures', () => {
    const faulty = (fault: string, extra: Record<string, string> = {}): GenerateRequest => ({
      messages: user('echo: a reply long enough to be streamed in several events'),
      headers: { 'x-sim-fault': fault, ...extra },
    });

    it('maps a 429 to rate_limited with Retry-After', async () => {
      const error = await providerErrorOf(
        model.generate(faulty('429', { 'x-sim-retry-after': '2' })),
      );
      expect(error).toMatchObject({
        code: 'rate_limited',
        statusCode: 429,
        retryAfterMs: 2000,
        isRetryable: true,
        provider: provider.id,
        requestId: adapter.features.includes('request-ids') ? expect.any(String) : undefined,
      });
    });

    it.each([
      ['500', 'server_error', true],
      ['503', 'overloaded', true],
      ['529', 'overloaded', true],
      ['400', 'bad_request', false],
      ['401', 'authentication_failed', false],
    ] as const)(
      'maps a %s to %s (retryable: %s), whole or streamed',
      async (fault, code, isRetryable) => {
        const expected = { code, statusCode: Number(fault), isRetryable };
        expect(await providerErrorOf(model.generate(faulty(fault)))).toMatchObject(expected);
        const { error, parts } = await streamErrorOf(model, faulty(fault));
        expect(error).toMatchObject(expected);
        expect(parts).toEqual([]);
      },
    );

    it('maps an unknown model to model_not_found, not retryable', async () => {
      const error = await providerErrorOf(
        provider.languageModel('gpt-unknown').generate({ messages: user('hi') }),
      );
      expect(error).toMatchObject({ code: 'model_not_found', statusCode: 404, isRetryable: false });
    });

    // The cases about the timeout itself use a provider of their own with a short one.
    let hasty: Provider;
    let hastyModel: LanguageModel;

    beforeAll(() => {
      hasty = adapter.createProvider(simulator.url, hangTimeoutMs);
      hastyModel = hasty.languageModel(adapter.modelId);
    });

    afterAll(async () => {
      await hasty.close?.();
    });

    it('cuts a hung call at the adapter timeout (retryable `timeout`)', async () => {
      // The account's first call loads its SDK (slow on a loaded machine): done before timing.
      await hastyModel.generate({ messages: user('echo: hi') });
      const startedAt = Date.now();
      const error = await providerErrorOf(hastyModel.generate(faulty('hang')));
      expect(error).toMatchObject({ code: 'timeout', isRetryable: true });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(hangTimeoutMs - 50);
      expect(Date.now() - startedAt).toBeLessThan(hangTimeoutMs + 2000);
      const streamed = await streamErrorOf(hastyModel, faulty('hang'));
      expect(streamed.error).toMatchObject({ code: 'timeout', isRetryable: true });
    });

    it('reports an external abort as `aborted`, not retryable', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const error = await providerErrorOf(
        model.generate({ ...faulty('hang'), signal: controller.signal }),
      );
      expect(error).toMatchObject({ code: 'aborted', isRetryable: false });

      const streamController = new AbortController();
      setTimeout(() => streamController.abort(), 100);
      const streamed = await streamErrorOf(model, {
        ...faulty('hang'),
        signal: streamController.signal,
      });
      expect(streamed.error).toMatchObject({ code: 'aborted', isRetryable: false });

      const early = new AbortController();
      early.abort();
      const refused = await providerErrorOf(
        model.generate({ messages: user('echo: hi'), signal: early.signal }),
      );
      expect(refused.code).toBe('aborted');
    });

    it('bounds a stream by idle time, not total time', async () => {
      // About 2 s in all at 20 tokens per second: longer than the timeout, never idle that long.
      simulator.configure({ models: { [adapter.modelId]: { tokensPerSecond: 20 } } });
      const request: GenerateRequest = { messages: user(`echo: ${'word '.repeat(40)}`) };
      const startedAt = Date.now();
      const parts = await collect(hastyModel, request);
      expect(Date.now() - startedAt).toBeGreaterThan(hangTimeoutMs);
      expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });

      // A first token later than the timeout after the headers is a stall.
      simulator.configure({
        models: {
          [adapter.modelId]: { tokensPerSecond: 0, timeToFirstTokenMs: hangTimeoutMs + 500 },
        },
      });
      const { error } = await streamErrorOf(hastyModel, request);
      expect(error).toMatchObject({ code: 'timeout', isRetryable: true });
    });

    it('reports an abort in the middle of a stream as `aborted`', async () => {
      simulator.configure({ models: { [adapter.modelId]: { tokensPerSecond: 20 } } });
      const controller = new AbortController();
      const parts: StreamPart[] = [];
      const error = await providerErrorOf(
        (async () => {
          for await (const part of model.stream({
            messages: user(`echo: ${'word '.repeat(40)}`),
            signal: controller.signal,
          })) {
            parts.push(part);
            controller.abort();
          }
        })(),
      );
      expect(error).toMatchObject({ code: 'aborted', isRetryable: false });
      expect(parts.length).toBeGreaterThan(0);
      expect(parts.some((part) => part.type === 'finish')).toBe(false);
    });

    itWith('own-connections')(
      'fails calls under way as client_closed when the provider closes: retryable, no health failure',
      async () => {
        // A provider of its own: closing it (a worker shutting down) must not touch the suite's.
        const closing = adapter.createProvider(simulator.url);
        const closingModel = closing.languageModel(adapter.modelId);
        simulator.configure({ models: { [adapter.modelId]: { tokensPerSecond: 20 } } });
        const request: GenerateRequest = { messages: user(`echo: ${'word '.repeat(20)}`) };
        const whole = providerErrorOf(closingModel.generate(faulty('hang')));
        const parts: StreamPart[] = [];
        const streamed = providerErrorOf(
          (async () => {
            for await (const part of closingModel.stream(request)) parts.push(part);
          })(),
        );
        // Both calls are at the simulator, one waiting for its answer, one mid-stream.
        while (simulator.counters().total < 2 || parts.length === 0) await sleep(10);
        await closing.close?.();
        const expected = { code: 'client_closed', isRetryable: true, provider: closing.id };
        for (const error of [await whole, await streamed]) {
          expect(error).toMatchObject(expected);
          expect(isHealthFailure(error)).toBe(false);
        }
        expect(parts.some((part) => part.type === 'finish')).toBe(false);
        // A call after the close fails the same way, without reaching the simulator.
        expect(await providerErrorOf(closingModel.generate(request))).toMatchObject(expected);
        expect(simulator.counters().total).toBe(2);
      },
    );

    it('throws stream_interrupted when the stream is cut, never a clean finish', async () => {
      const { error, parts } = await streamErrorOf(model, faulty('cut-stream'));
      expect(error).toMatchObject({ code: 'stream_interrupted', isRetryable: true });
      expect(parts.some((part) => part.type === 'finish')).toBe(false);
    });

    it('maps invalid JSON to malformed_response, whole or streamed', async () => {
      expect(await providerErrorOf(model.generate(faulty('malformed')))).toMatchObject({
        code: 'malformed_response',
        isRetryable: true,
      });
      const { error, parts } = await streamErrorOf(model, faulty('malformed'));
      expect(error).toMatchObject({ code: 'malformed_response', isRetryable: true });
      expect(parts.some((part) => part.type === 'finish')).toBe(false);
    });
  });
});
