import type { ModelCatalog } from '../catalog/model-catalog';
import type { ChatRequest } from '../messages/chat-request';
import { type RouteOutcome, type RoutingRequirements, routeRequest } from './route-request';

/**
 * What routing reads of a job: a prompt job's data, a batch line's, or a request being
 * submitted, all carry these fields under these names, so each passes itself as it is.
 */
export interface RoutableJob {
  /** A catalog id or alias, or `auto`. */
  model: string;
  /**
   * The normalised request (after the input filter and prompt optimisation): its messages,
   * tools, response format and reasoning decide which models can take it, and its messages
   * and tool definitions its estimated input tokens.
   */
  request: Pick<ChatRequest, 'messages' | 'maxTokens' | 'tools' | 'responseFormat' | 'reasoning'>;
  requirements?: RoutingRequirements;
  /** false: only the chosen model, no fallback chain. */
  fallbacks?: boolean;
  /**
   * `request`'s estimated input tokens, counted when the job was submitted: a job is routed
   * again when it runs, and its messages and tools have not changed since, so the worker
   * reuses the count (and never loads the tokenizer's tables for it). Absent, routing counts.
   */
  inputTokens?: number;
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
    tools: job.request.tools,
    responseFormat: job.request.responseFormat,
    reasoning: job.request.reasoning,
    requirements: job.requirements,
    fallbacks: job.fallbacks,
    inputTokens: job.inputTokens,
  });
}
