import type { ModelCatalog } from '../catalog/model-catalog';
import type { PromptOptimizationReport } from '../cost/optimize-prompt';
import { optimizeRequest } from '../cost/submit-cost-checks';
import { ClientError } from '../errors/client-error';
import { chooseHedgeModel } from '../routing/choose-hedge-model';
import {
  chooseSpeculativeModels,
  type SpeculativeModels,
} from '../routing/choose-speculative-models';
import { routeJob } from '../routing/route-job';
import type { RoutingDecision } from '../routing/route-request';
import { chooseJobTier, type JobTier } from '../tiers/choose-job-tier';
import { type JobRequest, type NormalizedRequest, normalizeJobRequest } from './job-request';

/** A job request converted once and routed once: what a submit, an estimate or a cache key needs. */
export interface PreparedJobRequest {
  /** The model the job is queued with: the routed catalog id, or `auto` (routed again when it runs). */
  model: string;
  /** The provider-neutral request, after prompt optimisation. */
  request: NormalizedRequest;
  /** The route as the catalog stands now; `decision.model` keys the exact cache, `auto` or not. */
  decision: RoutingDecision;
  /** The hedge's second model (catalog id), when the request hedges. */
  hedgeModel?: string;
  /** The models of a speculative job (catalog ids); the job is routed to `upgrade_model`. */
  speculative?: SpeculativeModels;
  /** What `optimize` changed, when the request asked for it. */
  optimization?: PromptOptimizationReport;
  /** The tier the job runs on and its deadline (`complete_by`). */
  tier: JobTier;
}

/**
 * Normalises, optimises and routes a validated (and input-filtered) job request, refusing
 * what can never run (unknown or unkeyed model, over `max_cost_usd`, too long, a bad hedge)
 * with the `ClientError` the API answers. Nothing is stored.
 */
export function prepareJobRequest(
  catalog: ModelCatalog,
  defaultModel: string,
  request: JobRequest,
  /** The request already in the neutral model (screened by the input filter, or from a dialect). */
  chat: NormalizedRequest = normalizeJobRequest(request),
  now: number = Date.now(),
): PreparedJobRequest {
  const speculative = request.speculative
    ? chooseSpeculativeModels(catalog, request.speculative)
    : undefined;
  if (speculative && !speculative.ok)
    throw new ClientError('invalid_speculative', speculative.message);
  // A speculative job is routed (cached, budgeted) as its upgrade model: the final answer's.
  const requestedModel = speculative?.models.upgrade_model ?? request.model ?? defaultModel;
  const optimized = optimizeRequest(catalog, requestedModel, chat, request.optimize);
  const route = routeJob(catalog, {
    model: requestedModel,
    request: optimized.request,
    requirements: request.requirements,
    fallbacks: request.fallbacks,
  });
  if (!route.ok) throw new ClientError(route.code, route.message, route.details);
  // The fast model needs what the request needs too, now that routing found out what that is.
  const speculativeModels = speculative
    ? chooseSpeculativeModels(
        catalog,
        { ...request.speculative, upgrade_model: speculative.models.upgrade_model },
        route.decision.capabilities,
      )
    : undefined;
  if (speculativeModels && !speculativeModels.ok)
    throw new ClientError('invalid_speculative', speculativeModels.message);
  let hedgeModel: string | undefined;
  if (request.hedge) {
    const hedge = chooseHedgeModel(catalog, route.decision, {
      model: request.hedge.model,
      afterMs: request.hedge.after_ms,
    });
    if (!hedge.ok) throw new ClientError('invalid_hedge', hedge.message);
    hedgeModel = hedge.entry.id;
  }
  const tier = chooseJobTier(catalog, route.decision, request, optimized.request, now);
  return {
    model: route.decision.mode === 'auto' ? 'auto' : route.decision.model,
    tier,
    request: optimized.request,
    decision: route.decision,
    ...(hedgeModel ? { hedgeModel } : {}),
    ...(speculativeModels?.ok ? { speculative: speculativeModels.models } : {}),
    ...(optimized.report ? { optimization: optimized.report } : {}),
  };
}
