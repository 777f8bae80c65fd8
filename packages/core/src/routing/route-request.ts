import type { ModelCatalog, ModelEntry, ModelTier, Unavailability } from '../catalog/model-catalog';
import { estimateRequestCost } from '../catalog/model-pricing';
import type { ChatMessage } from '../messages/chat-message';
import type { ChatRequest } from '../messages/chat-request';
import { maxOutputTokensOf, sentMaxTokensOf } from '../providers/max-output-tokens';
import { estimateInputTokens } from '../tokens/estimate-input-tokens';
import { assessComplexity, type ComplexityAssessment } from './assess-complexity';
import {
  describeCapabilities,
  missingCapabilities,
  type RequestCapability,
  requiredCapabilities,
} from './model-capabilities';

/** What a request asks of automatic routing (`requirements` in the job request). */
export interface RoutingRequirements {
  /** Prefer the model expected to answer soonest. */
  low_latency?: boolean;
  /** Use the strong tier whatever the prompt looks like. */
  high_quality?: boolean;
  /** Refuse models whose estimated cost exceeds this, in USD. */
  max_cost_usd?: number;
}

export interface RouteInput
  extends Partial<Pick<ChatRequest, 'tools' | 'responseFormat' | 'reasoning'>> {
  /** A catalog id or alias, or `auto`. */
  model: string;
  messages: readonly ChatMessage[];
  maxTokens?: number;
  requirements?: RoutingRequirements;
  /** false: try only the chosen model, no fallback chain. Default true. */
  fallbacks?: boolean;
  /**
   * The estimated input tokens of these very messages and tools, when they were counted
   * before (see `PromptJobData.inputTokens`); absent, routing counts them.
   */
  inputTokens?: number;
}

/** A model left out of the chain, and why. */
export interface ExcludedModel {
  model: string;
  reason: string;
}

/** What the router decided; stored on the job and shown in its result. */
export interface RoutingDecision {
  mode: 'explicit' | 'auto';
  /** The model the client asked for (`auto`, an id or an alias). */
  requested: string;
  /** The first model to try. */
  model: string;
  tier: ModelTier;
  reason: string;
  /** Models to try in order: the chosen one, then its fallbacks. */
  chain: string[];
  /** Estimated input tokens of the request. */
  input_tokens: number;
  /** Estimated worst-case cost on the chosen model, USD. */
  estimated_cost_usd: number;
  complexity?: ComplexityAssessment;
  excluded: ExcludedModel[];
  /** What the request needs of a model (tools, vision, …); every model in `chain` has it. Absent when nothing. */
  capabilities?: RequestCapability[];
}

/** Closed set of reasons a request cannot be routed at all. */
export type RouteErrorCode =
  | 'unknown_model'
  | 'model_unavailable'
  | 'context_window_exceeded'
  | 'cost_limit_exceeded'
  | 'model_capability_missing';

export type RouteOutcome =
  | { ok: true; decision: RoutingDecision }
  | { ok: false; code: RouteErrorCode; message: string; details?: Record<string, unknown> };

function unavailableMessage(entry: ModelEntry, why: Unavailability): string {
  switch (why) {
    case 'disabled':
      return `model "${entry.id}" is disabled in the catalog`;
    case 'provider_not_configured':
      return `model "${entry.id}" needs the "${entry.provider}" provider, which is not configured (no API key)`;
    case 'endpoint_not_supported':
      return `model "${entry.id}" does not serve chat completions (it serves: ${entry.endpoints.join(', ')})`;
    default: {
      const unknown: never = why;
      return String(unknown);
    }
  }
}

const tierOrder: readonly ModelTier[] = ['fast', 'balanced', 'strong'];

/** The longest fallback chain the router builds (each link may be retried). */
const maxChainLength = 4;

interface Fit {
  entry: ModelEntry;
  cost: number;
  problem?: {
    code: 'context_window_exceeded' | 'cost_limit_exceeded';
    reason: string;
    /**
     * A client's output limit over the model's most: the field at fault (the answer's
     * `param`), the limit asked and the model's most, for the compatible endpoints to say it
     * in their provider's words.
     */
    outputLimit?: { parameter: 'max_tokens'; max_tokens: number; max_output_tokens: number };
  };
}

function fitOf(
  catalog: ModelCatalog,
  entry: ModelEntry,
  inputTokens: number,
  request: Pick<RouteInput, 'maxTokens' | 'reasoning'>,
  maxCost: number | undefined,
): Fit {
  const { maxTokens } = request;
  const maxTokensDefault = catalog.maxTokensDefaultOf(entry);
  const cost = estimateRequestCost(
    entry,
    inputTokens,
    maxOutputTokensOf(entry, request, { maxTokensDefault }),
  );
  // A client's limit over the model's most first: it is the field to change.
  if (maxTokens !== undefined && maxTokens > entry.max_output_tokens) {
    return {
      entry,
      cost,
      problem: {
        code: 'context_window_exceeded',
        reason: `max_tokens ${maxTokens} > the model's max output ${entry.max_output_tokens}`,
        outputLimit: {
          parameter: 'max_tokens',
          max_tokens: maxTokens,
          max_output_tokens: entry.max_output_tokens,
        },
      },
    };
  }
  // The limit the call will send, the client's or the one llmq chooses (Claude's default and
  // thinking budget): the provider refuses a prompt that leaves no room for it.
  const output = sentMaxTokensOf(entry, request, maxTokensDefault) ?? 0;
  if (inputTokens + output > entry.context_window) {
    const chosen =
      maxTokens === undefined ? ' (the max_tokens llmq sends when the request names none)' : '';
    return {
      entry,
      cost,
      problem: {
        code: 'context_window_exceeded',
        reason: `context window ${entry.context_window} < ${inputTokens} input + ${output} output tokens${chosen}`,
      },
    };
  }
  if (maxCost !== undefined && cost > maxCost) {
    return {
      entry,
      cost,
      problem: {
        code: 'cost_limit_exceeded',
        reason: `estimated $${cost} > max_cost_usd $${maxCost}`,
      },
    };
  }
  return { entry, cost };
}

/** Tiers to look in, best match first: the wanted tier, then stronger ones, then weaker ones. */
function tierPreference(wanted: ModelTier): ModelTier[] {
  const index = tierOrder.indexOf(wanted);
  return [
    wanted,
    ...tierOrder.slice(index + 1),
    ...tierOrder.slice(0, index).reverse(),
  ] as ModelTier[];
}

/**
 * Chooses the model for a request and its fallback chain. An explicit model or alias is
 * honoured (and refused when unusable, too small or over `max_cost_usd`); `auto` picks a tier
 * by task complexity and requirements, then the cheapest (or, with `low_latency`, quickest)
 * usable model that fits. Pure: circuit state is applied when the chain runs, which skips
 * models whose circuit is open.
 */
export function routeRequest(catalog: ModelCatalog, input: RouteInput): RouteOutcome {
  const inputTokens = input.inputTokens ?? estimateInputTokens(input.messages, input.tools);
  const needed = requiredCapabilities(input);
  const lacks = (entry: ModelEntry) => missingCapabilities(entry, needed);
  const lacking = (entry: ModelEntry) => `lacks ${lacks(entry).join(', ')}`;
  const maxCost = input.requirements?.max_cost_usd;
  const excluded: ExcludedModel[] = [];
  const useFallbacks = input.fallbacks !== false;

  const chainAfter = (primary: ModelEntry, extra: ModelEntry[] = []): string[] => {
    const chain = [primary.id];
    if (!useFallbacks) return chain;
    const followers = [
      ...primary.fallbacks.map((id) => catalog.resolve(id)).filter((entry) => entry !== undefined),
      ...extra,
    ];
    for (const entry of followers) {
      if (chain.length >= maxChainLength) break;
      if (chain.includes(entry.id)) continue;
      const unavailable = catalog.unavailability(entry);
      if (unavailable) {
        excluded.push({ model: entry.id, reason: unavailable.replace(/_/g, ' ') });
        continue;
      }
      if (lacks(entry).length > 0) {
        excluded.push({ model: entry.id, reason: lacking(entry) });
        continue;
      }
      const fit = fitOf(catalog, entry, inputTokens, input, maxCost);
      if (fit.problem) {
        excluded.push({ model: entry.id, reason: fit.problem.reason });
        continue;
      }
      chain.push(entry.id);
    }
    return chain;
  };

  if (input.model !== 'auto') {
    const entry = catalog.resolve(input.model);
    if (!entry) {
      return {
        ok: false,
        code: 'unknown_model',
        message: `model "${input.model}" is not in the catalog`,
        details: { available: catalog.available().map((model) => model.id) },
      };
    }
    const unavailable = catalog.unavailability(entry);
    if (unavailable) {
      return {
        ok: false,
        code: 'model_unavailable',
        message: unavailableMessage(entry, unavailable),
        details: { model: entry.id, provider: entry.provider },
      };
    }
    const missing = lacks(entry);
    if (missing.length > 0) {
      return {
        ok: false,
        code: 'model_capability_missing',
        message: `model "${entry.id}" cannot take this request: it lacks ${describeCapabilities(missing)}`,
        details: { model: entry.id, missing_capabilities: missing },
      };
    }
    const fit = fitOf(catalog, entry, inputTokens, input, maxCost);
    if (fit.problem) {
      return {
        ok: false,
        code: fit.problem.code,
        message: `model "${entry.id}" cannot take this request: ${fit.problem.reason}`,
        details: {
          model: entry.id,
          input_tokens: inputTokens,
          estimated_cost_usd: fit.cost,
          ...(maxCost !== undefined ? { max_cost_usd: maxCost } : {}),
          ...fit.problem.outputLimit,
        },
      };
    }
    return {
      ok: true,
      decision: {
        mode: 'explicit',
        requested: input.model,
        model: entry.id,
        tier: entry.tier,
        reason:
          entry.id === input.model
            ? `model "${entry.id}" requested`
            : `alias "${input.model}" of "${entry.id}" requested`,
        chain: chainAfter(entry),
        input_tokens: inputTokens,
        estimated_cost_usd: fit.cost,
        excluded,
        ...(needed.length > 0 ? { capabilities: needed } : {}),
      },
    };
  }

  const complexity = assessComplexity(input.messages, inputTokens, input.maxTokens);
  const wanted: ModelTier = input.requirements?.high_quality ? 'strong' : complexity.tier;
  const capable = catalog.available().filter((entry) => lacks(entry).length === 0);
  if (capable.length === 0) {
    return {
      ok: false,
      code: 'model_capability_missing',
      message: `no available model can take this request: it needs ${describeCapabilities(needed)}`,
      details: { required_capabilities: needed },
    };
  }
  const fits = capable.map((entry) => fitOf(catalog, entry, inputTokens, input, maxCost));
  const usable = fits.filter((fit) => !fit.problem);
  if (usable.length === 0) {
    const costProblem = fits.find((fit) => fit.problem?.code === 'cost_limit_exceeded');
    const cheapest = Math.min(...fits.map((fit) => fit.cost));
    if (costProblem) {
      return {
        ok: false,
        code: 'cost_limit_exceeded',
        message: `no model can answer within max_cost_usd $${maxCost}: the cheapest estimate is $${cheapest}`,
        details: {
          max_cost_usd: maxCost,
          cheapest_estimate_usd: cheapest,
          input_tokens: inputTokens,
        },
      };
    }
    // Every model refused the client's output limit: that is the field to change, not the prompt.
    if (input.maxTokens !== undefined && fits.every((fit) => fit.problem?.outputLimit)) {
      const most = Math.max(...fits.map((fit) => fit.entry.max_output_tokens));
      return {
        ok: false,
        code: 'context_window_exceeded',
        message: `no available model can take this request: max_tokens ${input.maxTokens} > the largest max output ${most}`,
        details: {
          input_tokens: inputTokens,
          parameter: 'max_tokens',
          max_tokens: input.maxTokens,
          max_output_tokens: most,
        },
      };
    }
    return {
      ok: false,
      code: 'context_window_exceeded',
      message: `no available model has a context window for ${inputTokens} input tokens`,
      details: { input_tokens: inputTokens },
    };
  }
  const byPreference = (a: Fit, b: Fit) =>
    input.requirements?.low_latency
      ? a.entry.expected_latency_ms - b.entry.expected_latency_ms || a.cost - b.cost
      : a.cost - b.cost || a.entry.expected_latency_ms - b.entry.expected_latency_ms;
  let chosenTier: ModelTier = wanted;
  let ranked: Fit[] = [];
  for (const tier of tierPreference(wanted)) {
    ranked = usable.filter((fit) => fit.entry.tier === tier).sort(byPreference);
    if (ranked.length > 0) {
      chosenTier = tier;
      break;
    }
  }
  const [best, ...rest] = ranked as [Fit, ...Fit[]];
  for (const fit of fits) {
    if (fit.problem && fit.entry.tier === wanted)
      excluded.push({ model: fit.entry.id, reason: fit.problem.reason });
  }

  const why: string[] = [
    `complexity score ${complexity.score}${complexity.signals.length ? ` (${complexity.signals.join('; ')})` : ''} → ${complexity.tier} tier`,
  ];
  if (input.requirements?.high_quality) why.push('high_quality requested → strong tier');
  if (chosenTier !== wanted) why.push(`no usable ${wanted}-tier model → ${chosenTier} tier`);
  why.push(
    `${best.entry.id} is the ${input.requirements?.low_latency ? 'quickest' : 'cheapest'} usable ${chosenTier}-tier model (est. $${best.cost}${input.requirements?.low_latency ? `, ~${best.entry.expected_latency_ms} ms` : ''})`,
  );
  if (maxCost !== undefined) why.push(`within max_cost_usd $${maxCost}`);
  if (needed.length > 0) why.push(`only models with ${needed.join(', ')}`);
  for (const entry of catalog.available()) {
    if (lacks(entry).length > 0) excluded.push({ model: entry.id, reason: lacking(entry) });
  }

  return {
    ok: true,
    decision: {
      mode: 'auto',
      requested: 'auto',
      model: best.entry.id,
      tier: chosenTier,
      reason: `auto: ${why.join('; ')}`,
      chain: chainAfter(
        best.entry,
        rest.map((fit) => fit.entry),
      ),
      input_tokens: inputTokens,
      estimated_cost_usd: best.cost,
      complexity,
      excluded,
      ...(needed.length > 0 ? { capabilities: needed } : {}),
    },
  };
}
