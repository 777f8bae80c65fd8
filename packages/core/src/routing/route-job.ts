import type { ModelCatalog } from '../catalog/model-catalog';
import type { ChatMessage } from '../providers/language-model';
import { type RouteOutcome, type RoutingRequirements, routeRequest } from './route-request';

/**
 * What routing reads of a job: a prompt job's data, a batch line's, or a request being
 * submitted, all carry these fields under these names, so each passes itself as it is.
 */
export interface RoutableJob {
  /** A catalog id or alias, or `auto`. */
  model: string;
  /** The normalised request (after the input filter and prompt optimisation). */
  request: { messages: readonly ChatMessage[]; maxTokens?: number };
  requirements?: RoutingRequirements;
  /** false: only the chosen model, no fallback chain. */
  fallbacks?: boolean;
}

/**
 * Routes a job: the one place a job's routing input is built, for the API's submit and
 * estimate and the worker's run of a prompt job or a batch line. Pure and deterministic for
 * one catalog, so the API and a worker route the same request to the same model.
 */
export function routeJob(catalog: ModelCatalog, job: RoutableJob): RouteOutcome {
  return routeRequest(catalog, {
    model: job.model,
    messages: job.request.messages,
    maxTokens: job.request.maxTokens,
    requirements: job.requirements,
    fallbacks: job.fallbacks,
  });
}
