import type { ModelCatalog } from '../catalog/model-catalog';
import type { ServiceTier } from '../catalog/service-tier';
import type { JobRequest } from '../jobs/job-request';
import { prepareJobRequest } from '../jobs/prepare-job-request';
import type { RoutingDecision } from '../routing/route-request';
import { priceJobTiers } from '../tiers/choose-job-tier';
import type { TierOption } from '../tiers/choose-service-tier';
import { type CostCandidate, estimateCandidates, worstCaseCostNanoUsd } from './estimate-job-cost';
import { fromNanoUsd } from './money';
import type { PromptOptimizationReport } from './optimize-prompt';

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
  /** The tier the job would run on (see docs/cost-tiers.md). */
  service_tier: ServiceTier;
  /**
   * Every tier the routed model offers, with its cost for this request (input plus the
   * expected output), its expected completion and whether it meets the deadline.
   */
  tiers: TierOption[];
  /** The request's deadline, epoch ms, when it set one. */
  complete_by_ms?: number;
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
  const now = Date.now();
  const prepared = prepareJobRequest(catalog, defaultModel, request, undefined, now);
  const { decision, hedgeModel, optimization } = prepared;
  const candidates = estimateCandidates(catalog, decision, {
    messages: prepared.request.messages,
    maxTokens: prepared.request.maxTokens,
    reasoning: prepared.request.reasoning,
    hedgeModel: hedgeModel ?? prepared.speculative?.fast_model,
  });
  const { mode, tier, chain, reason } = decision;
  return {
    object: 'estimate',
    model: prepared.speculative?.upgrade_model ?? request.model ?? defaultModel,
    routing: { mode, model: decision.model, tier, chain, reason },
    input_tokens: candidates[0]?.input_tokens ?? decision.input_tokens,
    candidates,
    max_cost_usd: fromNanoUsd(worstCaseCostNanoUsd(candidates)),
    ...(optimization ? { optimization } : {}),
    service_tier: prepared.tier.tier,
    tiers: priceJobTiers(catalog, decision, request, prepared.request, now),
    ...(prepared.tier.deadline !== undefined ? { complete_by_ms: prepared.tier.deadline } : {}),
  };
}
