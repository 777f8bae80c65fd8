import { loadModelCatalog } from '../catalog/load-model-catalog';
import { ModelCatalog } from '../catalog/model-catalog';
import { assessComplexity } from './assess-complexity';
import { type RouteOutcome, type RoutingDecision, routeRequest } from './route-request';

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});
const user = (content: string) => [{ role: 'user' as const, content }];

/** The decision of a routed request; fails the test when routing refused it. */
function decisionOf(outcome: RouteOutcome): RoutingDecision {
  if (!outcome.ok) throw new Error(`expected a route, got ${outcome.code}: ${outcome.message}`);
  return outcome.decision;
}

const englishAnalysis = `Analyze the attached quarterly figures and compare them with last year's.
Explain the main drivers step by step, evaluate the risks, and write a detailed report:
1. revenue by region
2. cost structure
3. recommendations
${'The figures show steady growth across most regions with some notable exceptions. '.repeat(20)}`;
const chineseAnalysis = `请详细分析以下季度数据，并与去年进行比较。首先解释主要驱动因素，然后推理可能的风险，最后给出全面的报告。
${'各地区的收入普遍稳定增长，但也有一些值得注意的例外情况。'.repeat(15)}`;

describe('complexity', () => {
  it('scores a greeting low and analysis requests high, in English and Chinese', () => {
    expect(assessComplexity(user('Hi there! How are you?'), 12).tier).toBe('fast');
    const english = assessComplexity(user(englishAnalysis), 400);
    expect(english.tier).toBe('strong');
    expect(english.signals.join(' ')).toMatch(/analyze/);
    const chinese = assessComplexity(user(chineseAnalysis), 400);
    expect(chinese.tier).toBe('strong');
    expect(chinese.signals.join(' ')).toMatch(/分析/);
  });

  it('counts code blocks and multi-step instructions', () => {
    const withCode = assessComplexity(
      user('Why does this fail?\n```ts\nconst x: number = "a";\n```'),
      30,
    );
    expect(withCode.signals).toContain('code block');
    expect(withCode.score).toBeGreaterThanOrEqual(2);
  });
});

describe('router', () => {
  it('never routes a chat request to a model that does not serve chat', () => {
    const explicit = routeRequest(catalog, { model: 'sim-embed-small', messages: user('hi') });
    expect(explicit).toMatchObject({ ok: false, code: 'model_unavailable' });
    expect(!explicit.ok && explicit.message).toMatch(/does not serve chat completions/);
    for (const content of ['hi', englishAnalysis]) {
      const auto = routeRequest(catalog, { model: 'auto', messages: user(content) });
      const { chain } = decisionOf(auto);
      expect(chain).not.toEqual(expect.arrayContaining(['sim-embed-small']));
      expect(chain).not.toEqual(expect.arrayContaining(['sim-gpt-instruct']));
    }
  });

  it('honours an explicit model or alias and builds its fallback chain', () => {
    const outcome = routeRequest(catalog, { model: 'fast', messages: user('hello') });
    expect(outcome).toMatchObject({
      ok: true,
      decision: {
        mode: 'explicit',
        model: 'sim-gpt-fast',
        chain: ['sim-gpt-fast', 'sim-claude-fast', 'sim-local-llama'],
      },
    });
    const alone = routeRequest(catalog, {
      model: 'sim-gpt-fast',
      messages: user('hi'),
      fallbacks: false,
    });
    expect(alone.ok && alone.decision.chain).toEqual(['sim-gpt-fast']);
  });

  it('refuses unknown and unkeyed models with distinct codes', () => {
    expect(routeRequest(catalog, { model: 'nope', messages: user('x') })).toMatchObject({
      ok: false,
      code: 'unknown_model',
    });
    expect(routeRequest(catalog, { model: 'gpt-5', messages: user('x') })).toMatchObject({
      ok: false,
      code: 'model_unavailable',
      message: expect.stringContaining('no API key'),
    });
  });

  it('sends auto greetings to the fast tier and analysis to the strong tier, with its reason', () => {
    const greeting = routeRequest(catalog, { model: 'auto', messages: user('Hello!') });
    expect(greeting.ok && greeting.decision).toMatchObject({ mode: 'auto', tier: 'fast' });
    for (const text of [englishAnalysis, chineseAnalysis]) {
      const analysis = routeRequest(catalog, { model: 'auto', messages: user(text) });
      expect(analysis.ok && analysis.decision.tier).toBe('strong');
      expect(analysis.ok && analysis.decision.model).toBe('sim-gpt-strong');
      expect(analysis.ok && analysis.decision.reason).toMatch(/complexity score \d+ .*strong tier/);
    }
  });

  it('follows requirements: high quality, low latency and max cost', () => {
    const quality = routeRequest(catalog, {
      model: 'auto',
      messages: user('Hello!'),
      requirements: { high_quality: true },
    });
    expect(quality.ok && quality.decision.tier).toBe('strong');
    const quick = routeRequest(catalog, {
      model: 'auto',
      messages: user(englishAnalysis),
      requirements: { low_latency: true },
    });
    expect(quick.ok && quick.decision.model).toBe('sim-gpt-strong');
    // Too tight for any strong model: the router drops to a cheaper tier that fits.
    const capped = routeRequest(catalog, {
      model: 'auto',
      messages: user(englishAnalysis),
      maxTokens: 1000,
      requirements: { max_cost_usd: 0.001 },
    });
    const cheaper = decisionOf(capped);
    expect(cheaper.estimated_cost_usd).toBeLessThanOrEqual(0.001);
    expect(cheaper.tier).not.toBe('strong');
    expect(cheaper.reason).toMatch(/max_cost_usd/);
  });

  it('rejects a request no model can serve within max_cost_usd, or an explicit model over it', () => {
    const withPaidOnly = loadModelCatalog(undefined, { availableProviders: ['simulator-openai'] });
    const none = routeRequest(withPaidOnly, {
      model: 'auto',
      messages: user('hello'),
      requirements: { max_cost_usd: 0.0000001 },
    });
    expect(none).toMatchObject({ ok: false, code: 'cost_limit_exceeded' });
    const explicit = routeRequest(catalog, {
      model: 'sim-claude-strong',
      messages: user('hello'),
      maxTokens: 4000,
      requirements: { max_cost_usd: 0.01 },
    });
    expect(explicit).toMatchObject({
      ok: false,
      code: 'cost_limit_exceeded',
      details: { estimated_cost_usd: expect.any(Number), max_cost_usd: 0.01 },
    });
  });

  it('skips models whose context window is too small', () => {
    const long = 'word '.repeat(9000);
    const outcome = routeRequest(catalog, { model: 'sim-gpt-fast', messages: user(long) });
    const decision = decisionOf(outcome);
    expect(decision.chain).not.toContain('sim-local-llama');
    expect(decision.excluded).toEqual(
      expect.arrayContaining([expect.objectContaining({ model: 'sim-local-llama' })]),
    );
    expect(routeRequest(catalog, { model: 'sim-local-llama', messages: user(long) })).toMatchObject(
      {
        ok: false,
        code: 'context_window_exceeded',
      },
    );
  });

  it("checks the output limit Claude's adapter sends when the request names none beside the prompt", () => {
    const messages = user('Summarise the attached log.');
    // Fits Claude's 200,000-token window alone, not with the 4,096 max_tokens Anthropic is sent.
    const inputTokens = 199_000;
    const explicit = routeRequest(catalog, { model: 'sim-claude-strong', messages, inputTokens });
    expect(explicit).toMatchObject({ ok: false, code: 'context_window_exceeded' });
    expect(!explicit.ok && explicit.message).toMatch(
      /199000 input \+ 4096 output tokens \(the max_tokens llmq sends when the request names none\)/,
    );
    // A thinking budget goes on top of the default: 4,096 + 24,576 for a high effort.
    const thinker = new ModelCatalog([
      {
        id: 'thinking-claude',
        provider: 'simulator-anthropic',
        upstream_model: 'sim-claude-thinking',
        tier: 'strong',
        context_window: 200_000,
        max_output_tokens: 64_000,
        pricing: { input: 3, output: 15, cached_input: 0.3 },
        capabilities: { reasoning: true },
        expected_latency_ms: 2000,
      },
    ]);
    const thinking = routeRequest(thinker, {
      model: 'thinking-claude',
      messages,
      inputTokens: 180_000,
      reasoning: { effort: 'high' },
    });
    expect(!thinking.ok && thinking.message).toMatch(/180000 input \+ 28672 output tokens/);
    // A fallback that cannot take it is left out of the chain, as for a client's max_tokens.
    const decision = decisionOf(
      routeRequest(catalog, { model: 'sim-gpt-strong', messages, inputTokens }),
    );
    expect(decision.chain).toEqual(['sim-gpt-strong']);
    expect(decision.excluded).toEqual(
      expect.arrayContaining([
        { model: 'sim-claude-strong', reason: expect.stringMatching(/4096 output tokens/) },
      ]),
    );
    // An OpenAI model sends no limit unless asked: the prompt alone must fit.
    expect(
      decisionOf(routeRequest(catalog, { model: 'sim-gpt-fast', messages, inputTokens: 127_000 }))
        .model,
    ).toBe('sim-gpt-fast');
  });

  it("refuses a client's max_tokens above the model's most by the field, explicit or auto", () => {
    const messages = user('Hello');
    const explicit = routeRequest(catalog, { model: 'sim-gpt-fast', messages, maxTokens: 200_000 });
    expect(explicit).toMatchObject({
      ok: false,
      code: 'context_window_exceeded',
      message: `model "sim-gpt-fast" cannot take this request: max_tokens 200000 > the model's max output 16384`,
      details: {
        model: 'sim-gpt-fast',
        parameter: 'max_tokens',
        max_tokens: 200_000,
        max_output_tokens: 16_384,
      },
    });
    // With auto no model takes it: the answer names the limit, not the prompt's 3 tokens.
    const most = Math.max(...catalog.available().map((entry) => entry.max_output_tokens));
    expect(most).toBeLessThan(500_000);
    expect(routeRequest(catalog, { model: 'auto', messages, maxTokens: 500_000 })).toMatchObject({
      ok: false,
      code: 'context_window_exceeded',
      message: `no available model can take this request: max_tokens 500000 > the largest max output ${most}`,
      details: { parameter: 'max_tokens', max_tokens: 500_000, max_output_tokens: most },
    });
  });

  it('routes with a count made before instead of counting again', () => {
    const messages = user('Write two sentences about queues.');
    const counted = decisionOf(routeRequest(catalog, { model: 'sim-gpt-fast', messages }));
    expect(counted.input_tokens).toBeGreaterThan(5);
    const carried = decisionOf(
      routeRequest(catalog, { model: 'sim-gpt-fast', messages, inputTokens: counted.input_tokens }),
    );
    expect(carried).toEqual(counted);
    // The carried count is the one every check uses: here it says the prompt cannot fit.
    expect(
      routeRequest(catalog, { model: 'sim-local-llama', messages, inputTokens: 1_000_000 }),
    ).toMatchObject({ ok: false, code: 'context_window_exceeded' });
  });
});
