import type { ModelCatalog } from '../catalog/model-catalog';
import { ClientError } from '../errors/client-error';
import { type JobRequest, normalizeJobRequest } from '../jobs/job-request';
import { chooseHedgeModel } from '../routing/choose-hedge-model';
import { type RoutingDecision, routeRequest } from '../routing/route-request';
import { type CostCandidate, estimateCandidates, worstCaseCostNanoUsd } from './estimate-job-cost';
import { fromNanoUsd } from './money';
import type { PromptOptimizationReport } from './optimize-prompt';
import { optimizeRequest } from './submit-cost-checks';

/** The answer of `POST /v1/estimate` (snake_case: HTTP surface). */
export interface CostEstimate {
  object: 'estimate';
  /** The model as requested (`auto`, an id or an alias). */
  model: string;
  routing: Pick<RoutingDecision, 'mode' | 'model' | 'tier' | 'chain' | 'reason'>;
  /** Input tokens on the routed model. */
  input_tokens: number;
  /** Every model the job may run on, with its input and maximum output cost. */
  candidates: CostCandidate[];
  /** What a budget reserves for this request: the dearest chain model, plus the hedge. */
  max_cost_usd: number;
  /** What `optimize` would change, when the request asks for it. */
  optimization?: PromptOptimizationReport;
}

/**
 * A pre-flight estimate of a job request, computed exactly as a submit would route, optimise
 * and reserve it; nothing is stored or queued. A request that could not be submitted fails
 * with the same `ClientError` a submit would.
 */
export function estimateRequest(
  catalog: ModelCatalog,
  defaultModel: string,
  request: JobRequest,
): CostEstimate {
  const model = request.model ?? defaultModel;
  const optimized = optimizeRequest(catalog, model, normalizeJobRequest(request), request.optimize);
  const route = routeRequest(catalog, {
    model,
    messages: optimized.request.messages,
    maxTokens: optimized.request.maxTokens,
    requirements: request.requirements,
    fallbacks: request.fallbacks,
  });
  if (!route.ok) throw new ClientError(route.code, route.message, route.details);
  let hedgeModel: string | undefined;
  if (request.hedge) {
    const hedge = chooseHedgeModel(catalog, route.decision, {
      model: request.hedge.model,
      afterMs: request.hedge.after_ms,
    });
    if (!hedge.ok) throw new ClientError('invalid_hedge', hedge.message);
    hedgeModel = hedge.entry.id;
  }
  const candidates = estimateCandidates(catalog, route.decision, {
    messages: optimized.request.messages,
    maxTokens: optimized.request.maxTokens,
    hedgeModel,
  });
  const { mode, tier, chain, reason } = route.decision;
  return {
    object: 'estimate',
    model,
    routing: { mode, model: route.decision.model, tier, chain, reason },
    input_tokens: candidates[0]?.input_tokens ?? route.decision.input_tokens,
    candidates,
    max_cost_usd: fromNanoUsd(worstCaseCostNanoUsd(candidates)),
    ...(optimized.report ? { optimization: optimized.report } : {}),
  };
}
