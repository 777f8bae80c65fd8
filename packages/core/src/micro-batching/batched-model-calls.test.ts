/**
 * Batched embeddings and completions calls through the real adapters (the official OpenAI SDK)
 * against the simulator over HTTP: the simulator's call log proves how many calls were made.
 */
import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { TokenTally } from '@llmq/tokenizer';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { Redis } from 'ioredis';
import { endpointLineCostNanoUsd } from '../batches/endpoint-line-cost';
import type {
  CompletionsLineAnswer,
  EmbeddingsLineAnswer,
} from '../batches/endpoint-response-body';
import { loadModelCatalog } from '../catalog/load-model-catalog';
import { ModelCatalog, type ModelEntry, type ModelEntryInput } from '../catalog/model-catalog';
import { deploymentsOf } from '../catalog/model-deployments';
import { costOfUsage } from '../catalog/model-pricing';
import { toNanoUsd } from '../cost/money';
import type { DeploymentChooser } from '../deployments/deployment-picker';
import type { CallGateFactory, GateRequest } from '../limits/call-gate';
import { ProviderRateLimiter } from '../limits/provider-rate-limiter';
import { createOpenAIProvider } from '../providers/openai/openai-provider';
import type { Provider } from '../providers/provider';
import { RedisKeys } from '../redis/redis-keys';
import { CircuitBreaker } from '../resilience/circuit-breaker';
import { createTracing } from '../telemetry/tracing';
import {
  type BatchedCallReport,
  BatchedModelCalls,
  type LineCallOutcome,
} from './batched-model-calls';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

const catalog = loadModelCatalog();
const entryOf = (id: string): ModelEntry => {
  const entry = catalog.resolve(id);
  if (!entry) throw new Error(`no ${id}`);
  return entry;
};
const embed = entryOf('sim-embed-small');
const instruct = entryOf('sim-gpt-instruct');
const policy = { maxRetriesPerModel: 2, baseDelayMs: 1, maxDelayMs: 5, maxInlineWaitMs: 2000 };

let simulator: Simulator;
let provider: Provider;
let reports: BatchedCallReport[];
let calls: BatchedModelCalls;

beforeAll(async () => {
  simulator = await startSimulator({ port: 0, host: '127.0.0.1' });
  provider = createOpenAIProvider({
    id: 'simulator-openai',
    apiKey: 'x',
    baseURL: `${simulator.url}/v1`,
    timeoutMs: 2000,
  });
});

afterAll(async () => {
  await provider?.close?.();
  await simulator?.close();
});

beforeEach(() => {
  simulator.reset();
  reports = [];
  calls = new BatchedModelCalls({
    embeddingModel: (entry) => provider.embeddingModel?.(entry.upstream_model),
    completionModel: (entry) => provider.completionModel?.(entry.upstream_model),
    policy,
    onCall: (report) => reports.push(report),
  });
});

afterEach(() => calls.drain());

function answerOf<Answer>(outcome: LineCallOutcome<Answer>): Answer {
  if (!outcome.ok) throw new Error(`line failed: ${String(outcome.error)}`);
  return outcome.answer;
}

describe('embeddings lines', () => {
  it('sends lines arriving together as one call and gives each line its own vectors', async () => {
    const lines = [['alpha'], ['beta', 'gamma'], ['delta'], ['epsilon', 'zeta', 'eta']];
    const outcomes = await Promise.all(
      lines.map((inputs, index) =>
        calls.embed(embed, { inputs, encodingFormat: 'float' }, `line-${index}`),
      ),
    );
    const counters = simulator.counters();
    expect(counters.byRoute).toEqual({ '/v1/embeddings': 1 });
    expect(counters.recent[0]?.inputCount).toBe(7);
    expect(reports).toEqual([
      expect.objectContaining({ endpoint: 'embeddings', lines: 4, inputs: 7, outcome: 'success' }),
    ]);

    // Each line's vectors are exactly what the model gives for its inputs alone.
    const alone = await provider
      .embeddingModel?.('sim-embed-small')
      .embed({ inputs: lines.flat() });
    const answers = outcomes.map((outcome) => answerOf<EmbeddingsLineAnswer>(outcome));
    expect(answers.flatMap((answer) => answer.embeddings)).toEqual(alone?.embeddings);
    expect(answers.map((answer) => answer.embeddings.length)).toEqual([1, 2, 1, 3]);
    // Token shares add up to what the provider billed for the call.
    expect(answers.reduce((sum, answer) => sum + answer.inputTokens, 0)).toBe(counters.inputTokens);
    for (const outcome of outcomes) {
      expect(outcome.attempts).toEqual([
        expect.objectContaining({ model: 'sim-embed-small', outcome: 'success' }),
      ]);
    }
  });

  it('batches different dimensions apart', async () => {
    await Promise.all([
      calls.embed(embed, { inputs: ['a'], encodingFormat: 'float', dimensions: 8 }, 'l1'),
      calls.embed(embed, { inputs: ['b'], encodingFormat: 'float', dimensions: 16 }, 'l2'),
      calls.embed(embed, { inputs: ['c'], encodingFormat: 'float', dimensions: 8 }, 'l3'),
    ]).then((outcomes) =>
      expect(
        outcomes.map((outcome) => answerOf<EmbeddingsLineAnswer>(outcome).embeddings[0]?.length),
      ).toEqual([8, 16, 8]),
    );
    expect(simulator.counters().byRoute['/v1/embeddings']).toBe(2);
  });
});

describe('completions lines', () => {
  it('maps each choice back to its line, indexed within the line', async () => {
    const settings = { maxTokens: 40, temperature: 0 };
    const outcomes = await Promise.all([
      calls.complete(instruct, { prompts: ['echo: one'], ...settings }, 'c0'),
      calls.complete(instruct, { prompts: ['echo: two', 'echo: three'], ...settings }, 'c1'),
      calls.complete(instruct, { prompts: ['echo: four'], ...settings }, 'c2'),
    ]);
    expect(simulator.counters().byRoute).toEqual({ '/v1/completions': 1 });
    expect(simulator.counters().recent[0]?.inputCount).toBe(4);
    const answers = outcomes.map((outcome) => answerOf<CompletionsLineAnswer>(outcome));
    expect(
      answers.map((answer) => answer.choices.map((choice) => [choice.index, choice.text])),
    ).toEqual([
      [[0, 'one']],
      [
        [0, 'two'],
        [1, 'three'],
      ],
      [[0, 'four']],
    ]);
    const counters = simulator.counters();
    expect(answers.reduce((sum, answer) => sum + answer.inputTokens, 0)).toBe(counters.inputTokens);
    expect(answers.reduce((sum, answer) => sum + answer.outputTokens, 0)).toBe(
      counters.outputTokens,
    );
    // Cost is billed per line, from its share of the usage.
    expect(outcomes.every((outcome) => (outcome.attempts[0]?.cost_usd ?? 0) > 0)).toBe(true);
  });

  it('never mixes lines with different sampling settings in one call', async () => {
    await Promise.all([
      calls.complete(instruct, { prompts: ['a'], temperature: 0 }, 'x0'),
      calls.complete(instruct, { prompts: ['b'], temperature: 1 }, 'x1'),
    ]);
    expect(simulator.counters().byRoute['/v1/completions']).toBe(2);
    // Batchers are per model and settings; idle ones are dropped.
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls.activeBatchers).toBe(0);
  });
});

describe('failures', () => {
  it('retries a failing call inline, then fails every line of it as retryable', async () => {
    simulator.configure({ models: { 'sim-embed-small': { faults: { status500: 1 } } } });
    const outcomes = await Promise.all([
      calls.embed(embed, { inputs: ['a'], encodingFormat: 'float' }, 'f0'),
      calls.embed(embed, { inputs: ['b'], encodingFormat: 'float' }, 'f1'),
    ]);
    // One call, then maxRetriesPerModel retries of the same two-line call.
    expect(simulator.counters().byRoute['/v1/embeddings']).toBe(3);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: false, retryable: true });
      expect(outcome.attempts.map((attempt) => attempt.error_code)).toEqual([
        'server_error',
        'server_error',
        'server_error',
      ]);
    }
  });

  it('retries a multi-line call that failed with a request error line by line', async () => {
    simulator.configure({ models: { 'sim-gpt-instruct': { faults: { status400: 1 } } } });
    const outcomes = await Promise.all([
      calls.complete(instruct, { prompts: ['a'] }, 'b0'),
      calls.complete(instruct, { prompts: ['b'] }, 'b1'),
    ]);
    // The shared call, then one call per line: each line learns its own verdict.
    expect(simulator.counters().recent.map((call) => call.inputCount)).toEqual([2, 1, 1]);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ ok: false, retryable: false });
      expect(outcome.attempts).toHaveLength(2);
    }
  });

  it('fails lines of a model without an adapter without calling anything', async () => {
    const noAdapter = new BatchedModelCalls({
      embeddingModel: () => undefined,
      completionModel: () => undefined,
      policy,
    });
    const outcome = await noAdapter.embed(embed, { inputs: ['a'], encodingFormat: 'float' }, 'n');
    expect(outcome).toMatchObject({
      ok: false,
      retryable: false,
      attempts: [expect.objectContaining({ outcome: 'skipped', error_code: 'model_unavailable' })],
    });
    expect(simulator.counters().total).toBe(0);
  });
});

describe('circuit breaker', () => {
  const breakerOptions = {
    consecutiveFailures: 2,
    failureRatio: 0.5,
    minimumRequests: 100,
    windowMs: 10_000,
    cooldownMs: 60_000,
    halfOpenProbes: 1,
    probeTimeoutMs: 20_000,
  };

  it('counts one failure per call (not per line), then skips calls while the circuit is open', async () => {
    const redis = new Redis(testRedisUrl());
    const keys = new RedisKeys(uniquePrefix('test-batched-circuit'));
    try {
      const breaker = new CircuitBreaker(redis, keys, breakerOptions);
      const guarded = new BatchedModelCalls({
        embeddingModel: (entry) => provider.embeddingModel?.(entry.upstream_model),
        completionModel: (entry) => provider.completionModel?.(entry.upstream_model),
        breaker,
        policy: { ...policy, maxRetriesPerModel: 0 },
      });
      simulator.configure({ models: { 'sim-embed-small': { faults: { status503: 1 } } } });
      const line = (id: string) =>
        guarded.embed(embed, { inputs: [id], encodingFormat: 'float' }, id);
      // One failed call of three lines: one failure, the circuit (2 in a row) stays closed.
      const first = await Promise.all([line('a'), line('b'), line('c')]);
      expect(first.every((outcome) => !outcome.ok && outcome.retryable)).toBe(true);
      expect((await breaker.acquire(embed.provider, embed.upstream_model)).allowed).toBe(true);
      await Promise.all([line('d'), line('e')]);
      // Two failed calls in a row: open. Lines are now refused without a call.
      const calls = simulator.counters().byRoute['/v1/embeddings'];
      expect(calls).toBe(2);
      const skipped = await Promise.all([line('f'), line('g')]);
      expect(simulator.counters().byRoute['/v1/embeddings']).toBe(calls);
      for (const outcome of skipped) {
        expect(outcome).toMatchObject({ ok: false, retryable: true, error: undefined });
        expect(outcome.attempts).toEqual([
          expect.objectContaining({ outcome: 'skipped', error_code: 'circuit_open' }),
        ]);
      }
    } finally {
      await cleanupPrefix(redis, keys.prefix);
      await redis.quit();
    }
  });
});

describe('tracing', () => {
  it('traces one CLIENT span per call, linked to every line it carried, and sends its traceparent', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ serviceName: 'test', exporter });
    try {
      const traced = new BatchedModelCalls({
        embeddingModel: (entry) => provider.embeddingModel?.(entry.upstream_model),
        completionModel: (entry) => provider.completionModel?.(entry.upstream_model),
        policy,
        tracer: tracing.tracer,
      });
      const lineSpans = ['t0', 't1', 't2'].map((id) =>
        tracing.tracer.startSpan(`line ${id}`, {}, ROOT_CONTEXT),
      );
      await Promise.all(
        lineSpans.map((span, index) =>
          traced.embed(
            embed,
            { inputs: [`text ${index}`], encodingFormat: 'float' },
            `t${index}`,
            trace.setSpan(ROOT_CONTEXT, span),
          ),
        ),
      );
      for (const span of lineSpans) span.end();
      const calls = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CLIENT);
      expect(calls).toHaveLength(1);
      const [call] = calls;
      expect(call?.name).toBe('embeddings sim-embed-small');
      expect(call?.attributes).toMatchObject({
        'gen_ai.operation.name': 'embeddings',
        'llmq.batch_lines': 3,
        'gen_ai.usage.input_tokens': expect.any(Number),
      });
      expect(call?.links.map((link) => link.context.spanId).sort()).toEqual(
        lineSpans.map((span) => span.spanContext().spanId).sort(),
      );
      const [recorded] = simulator.counters().recent;
      expect(recorded?.headers.traceparent).toContain(call?.spanContext().traceId);
    } finally {
      await tracing.shutdown();
    }
  });
});

describe('provider rate limits', () => {
  it('reserves one request per batched call, and throttles lines once the window is spent', async () => {
    const redis = new Redis(testRedisUrl());
    const keys = new RedisKeys(uniquePrefix('test-batched-limits'));
    try {
      const limited = new ModelCatalog([
        {
          ...embed,
          id: 'limited-embed',
          aliases: [],
          fallbacks: [],
          rate_limits: { rpm: 2 },
        },
      ]);
      const entry = limited.resolve('limited-embed') as ModelEntry;
      const limiter = new ProviderRateLimiter(redis, keys, limited, {
        windowMarginMs: 0,
        arrivalAllowanceMs: 0,
        maxSleepMs: 0,
      });
      const gated = new BatchedModelCalls({
        embeddingModel: (model) => provider.embeddingModel?.(model.upstream_model),
        completionModel: () => undefined,
        limiter,
        policy,
      });
      const line = (id: string) =>
        gated.embed(entry, { inputs: [id], encodingFormat: 'float' }, id);
      // Eight lines in two calls: two requests of the window, not eight.
      const first = await Promise.all(['a', 'b', 'c', 'd'].map(line));
      const second = await Promise.all(['e', 'f', 'g', 'h'].map(line));
      expect([...first, ...second].every((outcome) => outcome.ok)).toBe(true);
      expect(simulator.counters().byRoute['/v1/embeddings']).toBe(2);
      // The window (2 per minute) is spent: the next lines wait instead of calling.
      const third = await Promise.all(['i', 'j'].map(line));
      expect(simulator.counters().byRoute['/v1/embeddings']).toBe(2);
      for (const outcome of third) {
        expect(outcome).toMatchObject({
          ok: false,
          retryable: true,
          throttled: { reason: 'rpm', waitMs: expect.any(Number) },
        });
        expect(outcome.attempts).toEqual([
          expect.objectContaining({ outcome: 'skipped', error_code: 'rate_limited' }),
        ]);
      }
    } finally {
      await cleanupPrefix(redis, keys.prefix);
      await redis.quit();
    }
  });
});

describe('output reserved for a batched completions call', () => {
  it("reserves each prompt's output as a chat call's (maxOutputTokensOf), capped per answer, not per call", async () => {
    const redis = new Redis(testRedisUrl());
    const keys = new RedisKeys(uniquePrefix('test-batched-output'));
    try {
      // A model whose answers are short: a call of four prompts may still bill four answers.
      const small = new ModelCatalog([
        { ...instruct, id: 'short-instruct', aliases: [], max_output_tokens: 150 },
      ]);
      const entry = small.resolve('short-instruct') as ModelEntry;
      const limiter = new ProviderRateLimiter(redis, keys, small, { maxSleepMs: 0 });
      const asked: GateRequest[] = [];
      const recording: CallGateFactory = {
        gateFor: (request) => {
          asked.push(request);
          return limiter.gateFor(request);
        },
      };
      const gated = new BatchedModelCalls({
        embeddingModel: () => undefined,
        completionModel: (model) => provider.completionModel?.(model.upstream_model),
        limiter: recording,
        policy,
      });
      const settings = { maxTokens: 100, temperature: 0 };
      const outcomes = await Promise.all([
        gated.complete(entry, { prompts: ['echo: a', 'echo: b'], ...settings }, 'l0'),
        gated.complete(entry, { prompts: ['echo: c', 'echo: d'], ...settings }, 'l1'),
      ]);
      expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
      expect(asked).toHaveLength(1);
      const request = asked[0] as GateRequest;
      expect(limiter.estimateTokens(entry, request)).toBe(request.inputTokens + 4 * 100);
      // The line cost a budget reserves counts the same output per prompt.
      expect(
        endpointLineCostNanoUsd(small, entry.id, {
          completion: { prompts: ['echo: a', 'echo: b'], maxTokens: 100 },
        }),
      ).toBe(
        toNanoUsd(
          costOfUsage(entry, {
            inputTokens: 2 * new TokenTally().count('echo: a'),
            outputTokens: 2 * 100,
          }),
        ),
      );
    } finally {
      await cleanupPrefix(redis, keys.prefix);
      await redis.quit();
    }
  });
});

describe('a model with several deployments', () => {
  const spreadEntry: ModelEntryInput = {
    id: 'embed-spread',
    provider: 'simulator-openai',
    upstream_model: 'sim-embed-dep-a',
    tier: 'fast',
    context_window: 8192,
    max_output_tokens: 1,
    pricing: { input: 0.02, output: 0, cached_input: 0.02 },
    capabilities: { streaming: false, json_mode: false, batching: true },
    endpoints: ['embeddings'],
    expected_latency_ms: 50,
    deployments: [
      { id: 'a', weight: 3 },
      { id: 'b', upstream_model: 'sim-embed-dep-b', weight: 1 },
    ],
  };
  const spreadCatalog = new ModelCatalog([
    spreadEntry,
    // One request a minute on each deployment.
    { ...spreadEntry, id: 'embed-limited', rate_limits: { rpm: 1 } },
  ]);
  const spread = spreadCatalog.resolve('embed-spread') as ModelEntry;
  const inOrder: DeploymentChooser = {
    order: async (entry) => deploymentsOf(entry),
    track: () => () => undefined,
  };
  const spreadCalls = (chooser?: DeploymentChooser, limiter?: ProviderRateLimiter) =>
    new BatchedModelCalls({
      embeddingModel: (_entry, deployment) => provider.embeddingModel?.(deployment.upstream_model),
      completionModel: (_entry, deployment) =>
        provider.completionModel?.(deployment.upstream_model),
      ...(chooser ? { chooser } : {}),
      ...(limiter ? { limiter } : {}),
      policy,
      onCall: (report) => reports.push(report),
    });

  it('sends each call to the deployment the weighted pick draws (3:1)', async () => {
    const weighted = spreadCalls();
    for (let line = 0; line < 200; line += 1) {
      const outcome = await weighted.embed(
        spread,
        { inputs: [`text ${line}`], encodingFormat: 'float' },
        `w${line}`,
      );
      expect(outcome.ok).toBe(true);
    }
    const { byModel } = simulator.counters();
    expect((byModel['sim-embed-dep-a'] ?? 0) + (byModel['sim-embed-dep-b'] ?? 0)).toBe(200);
    // 150 expected on `a`; ±30 is about five standard deviations of the draw.
    expect(byModel['sim-embed-dep-a']).toBeGreaterThan(120);
    expect(byModel['sim-embed-dep-a']).toBeLessThan(180);
  });

  it('retries a failed call on another deployment, recorded on the attempts', async () => {
    simulator.configure({ models: { 'sim-embed-dep-a': { faults: { status500: 1 } } } });
    const outcome = await spreadCalls(inOrder).embed(
      spread,
      { inputs: ['x'], encodingFormat: 'float' },
      'r',
    );
    expect(outcome.ok).toBe(true);
    expect(outcome.attempts).toEqual([
      expect.objectContaining({ deployment: 'a', outcome: 'error' }),
      expect.objectContaining({ deployment: 'b', outcome: 'success' }),
    ]);
    expect(simulator.counters().byModel).toMatchObject({
      'sim-embed-dep-a': 1,
      'sim-embed-dep-b': 1,
    });
    expect(reports.map(({ deployment, outcome }) => [deployment, outcome])).toEqual([
      ['a', 'error'],
      ['b', 'success'],
    ]);
  });

  it('passes over a full deployment for one with room, and waits only when all are full', async () => {
    const redis = new Redis(testRedisUrl());
    const keys = new RedisKeys(uniquePrefix('test-batched-deployments'));
    try {
      const limiter = new ProviderRateLimiter(redis, keys, spreadCatalog, { maxSleepMs: 0 });
      const limitedCalls = spreadCalls(inOrder, limiter);
      const limited = spreadCatalog.resolve('embed-limited') as ModelEntry;
      const embedOne = (lineId: string) =>
        limitedCalls.embed(limited, { inputs: [lineId], encodingFormat: 'float' }, lineId);
      const deploymentsOfLine = async (lineId: string) =>
        (await embedOne(lineId)).attempts.map((attempt) => [attempt.deployment, attempt.outcome]);
      expect(await deploymentsOfLine('first')).toEqual([['a', 'success']]);
      // `a` has had its request of the minute: the call goes to `b` at once.
      expect(await deploymentsOfLine('second')).toEqual([['b', 'success']]);
      const third = await embedOne('third');
      expect(third).toMatchObject({ ok: false, throttled: { reason: 'rpm' } });
      expect(simulator.counters().byModel).toEqual({
        'sim-embed-dep-a': 1,
        'sim-embed-dep-b': 1,
      });
      // Only calls are reported: the try at the full `a` is not one.
      expect(reports.map(({ deployment, outcome }) => [deployment, outcome])).toEqual([
        ['a', 'success'],
        ['b', 'success'],
        ['b', 'skipped'],
      ]);
    } finally {
      await cleanupPrefix(redis, keys.prefix);
      await redis.quit();
    }
  });
});
