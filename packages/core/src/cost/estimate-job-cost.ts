import type { ModelCatalog, ModelEntry } from '../catalog/model-catalog';
import { costOfUsage, roundUsd } from '../catalog/model-pricing';
import type { ChatRequest } from '../messages/chat-request';
import type { ChatMessage } from '../providers/language-model';
import { maxOutputTokensOf } from '../providers/max-output-tokens';
import { type RoutableJob, routeJob } from '../routing/route-job';
import type { RoutingDecision } from '../routing/route-request';
import { countInputTokens, type TokenizerName, tokenizerFor } from '../tokens/count-tokens';
import { type NanoUsd, toNanoUsd } from './money';

/** One model a request may run on, with its pre-flight cost (snake_case: HTTP surface). */
export interface CostCandidate {
  model: string;
  provider: string;
  /** `primary`: the routed model; `fallback`: later in its chain; `hedge`: the hedge's second model. */
  role: 'primary' | 'fallback' | 'hedge';
  tokenizer: TokenizerName;
  input_tokens: number;
  input_cost_usd: number;
  /**
   * The output limit the model's adapter sends (`max_tokens`; Anthropic's default and thinking
   * budget when unset), or 1024 when it sends none, capped at the model's maximum output.
   */
  max_output_tokens: number;
  max_output_cost_usd: number;
  /** Input plus the largest possible output: what a budget reserves. */
  max_cost_usd: number;
  context_window: number;
  fits_context_window: boolean;
  /** False when the model's provider is not configured or it is disabled. */
  usable: boolean;
}

/** What sets how much a request may answer. */
type OutputLimits = Pick<ChatRequest, 'maxTokens' | 'reasoning'>;

function candidate(
  catalog: ModelCatalog,
  entry: ModelEntry,
  role: CostCandidate['role'],
  inputTokens: number,
  request: OutputLimits,
): CostCandidate {
  const maxOutput = maxOutputTokensOf(entry, request, {
    maxTokensDefault: catalog.maxTokensDefaultOf(entry),
  });
  const inputCost = costOfUsage(entry, { inputTokens, outputTokens: 0 });
  const outputCost = costOfUsage(entry, { inputTokens: 0, outputTokens: maxOutput });
  return {
    model: entry.id,
    provider: entry.provider,
    role,
    tokenizer: tokenizerFor(entry),
    input_tokens: inputTokens,
    input_cost_usd: inputCost,
    max_output_tokens: maxOutput,
    max_output_cost_usd: outputCost,
    max_cost_usd: roundUsd(inputCost + outputCost),
    context_window: entry.context_window,
    fits_context_window: inputTokens + maxOutput <= entry.context_window,
    usable: catalog.isAvailable(entry),
  };
}

/**
 * The models a routed request may run on: the chosen one, its fallback chain, and the hedge
 * model when it hedges, each with its input tokens (counted with the model's tokenizer) and
 * its cost at most (input plus the largest output its adapter's limit allows).
 */
export function estimateCandidates(
  catalog: ModelCatalog,
  decision: Pick<RoutingDecision, 'chain'> & { input_tokens?: number },
  request: OutputLimits & { messages: readonly ChatMessage[]; hedgeModel?: string },
): CostCandidate[] {
  const candidates: CostCandidate[] = [];
  // One count serves every candidate (one tokenizer); the router has usually made it already.
  const inputTokens = decision.input_tokens ?? countInputTokens(request.messages);
  decision.chain.forEach((id, index) => {
    const entry = catalog.resolve(id);
    if (entry)
      candidates.push(
        candidate(catalog, entry, index === 0 ? 'primary' : 'fallback', inputTokens, request),
      );
  });
  const hedge = request.hedgeModel ? catalog.resolve(request.hedgeModel) : undefined;
  if (hedge) candidates.push(candidate(catalog, hedge, 'hedge', inputTokens, request));
  return candidates;
}

/**
 * What a budget reserves for a job: the dearest model of its chain (one of them answers;
 * failed calls bill nothing), plus the hedge model, which may bill too.
 */
export function worstCaseCostNanoUsd(candidates: readonly CostCandidate[]): NanoUsd {
  let chain = 0;
  let hedge = 0;
  for (const item of candidates) {
    const cost = toNanoUsd(item.max_cost_usd);
    if (item.role === 'hedge') hedge += cost;
    else chain = Math.max(chain, cost);
  }
  return chain + hedge;
}

/**
 * A batch line's worst-case cost on its model (batch lines name one model, or `auto`, routed
 * here exactly as when the line runs; no hedge): the share of its batch's budget reservation
 * that the line holds until it ends. 0 for a model no longer in the catalog.
 */
export function lineCostNanoUsd(
  catalog: ModelCatalog,
  line: RoutableJob,
  inputTokens: number = countInputTokens(line.request.messages),
): NanoUsd {
  const entry = catalog.resolve(line.model === 'auto' ? routedModel(catalog, line) : line.model);
  const request = line.request;
  if (!entry) return 0;
  return toNanoUsd(candidate(catalog, entry, 'primary', inputTokens, request).max_cost_usd);
}

/** The model `auto` routes a line to; an empty name (no entry) when nothing fits. */
function routedModel(catalog: ModelCatalog, line: RoutableJob): string {
  const route = routeJob(catalog, line);
  return route.ok ? route.decision.model : '';
}
