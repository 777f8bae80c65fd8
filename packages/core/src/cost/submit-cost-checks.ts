import type { ModelCatalog } from '../catalog/model-catalog';
import { ClientError } from '../errors/client-error';
import type { NormalizedRequest } from '../jobs/job-request';
import type { TextChatMessage } from '../messages/chat-message';
import { maxOutputTokensOf } from '../providers/max-output-tokens';
import type { RoutingDecision } from '../routing/route-request';
import type { BudgetStore } from './budget-store';
import { estimateCandidates, worstCaseCostNanoUsd } from './estimate-job-cost';
import { fromNanoUsd } from './money';
import {
  optimizePrompt,
  type PromptOptimizationReport,
  type PromptOptimizationRequest,
} from './optimize-prompt';

/**
 * Applies a request's `optimize` before routing. History is trimmed to the named model's
 * context window, or for `auto` to the largest usable one (routing then picks a model the
 * trimmed prompt fits), less the output the request may generate (see `maxOutputTokensOf`).
 */
export function optimizeRequest(
  catalog: ModelCatalog,
  model: string,
  request: NormalizedRequest,
  options: PromptOptimizationRequest | undefined,
): { request: NormalizedRequest; report?: PromptOptimizationReport } {
  if (!options) return { request };
  const messages = textMessagesOf(request);
  if (messages === undefined) {
    // Trimming or rewriting parts (images, tool calls, signed reasoning) would change what they
    // mean, so the optimiser only takes conversations of plain text.
    throw new ClientError(
      'unsupported_parameter',
      '"optimize" works on conversations of plain text only; this request has non-text parts, tools or a response format',
      { parameter: 'optimize' },
    );
  }
  const named = model === 'auto' ? undefined : catalog.resolve(model);
  const entries = named ? [named] : catalog.available();
  const contextWindow = entries.length
    ? Math.max(...entries.map((entry) => entry.context_window))
    : undefined;
  // The output room is what a call may bill (`maxOutputTokensOf`), as the estimate, the budget
  // reservation and the rate limiter count it; for `auto`, the least any usable model needs.
  const reservedOutputTokens = entries.length
    ? Math.min(
        ...entries.map((entry) =>
          maxOutputTokensOf(entry, request, {
            maxTokensDefault: catalog.maxTokensDefaultOf(entry),
          }),
        ),
      )
    : undefined;
  const optimized = optimizePrompt({ messages, options, contextWindow, reservedOutputTokens });
  return { request: { ...request, messages: optimized.messages }, report: optimized.report };
}

/** The conversation as plain text messages, or undefined when it has anything but text. */
function textMessagesOf(request: NormalizedRequest): TextChatMessage[] | undefined {
  if (request.tools !== undefined || request.responseFormat !== undefined) return undefined;
  const messages: TextChatMessage[] = [];
  for (const message of request.messages) {
    if (message.role === 'tool' || typeof message.content !== 'string') return undefined;
    messages.push(message as TextChatMessage);
  }
  return messages;
}

/**
 * Reserves a job's worst-case cost against its tenant's hard budgets, or refuses the submit
 * with `budget_exceeded`. The reservation is keyed by the job id: the job's end (its ledger
 * write in the job store) or its cancellation releases it.
 */
export async function reserveJobBudget(
  budgets: BudgetStore,
  catalog: ModelCatalog,
  input: {
    tenant: string;
    jobId: string;
    decision: RoutingDecision;
    request: NormalizedRequest;
    hedgeModel?: string;
  },
): Promise<void> {
  const candidates = estimateCandidates(catalog, input.decision, {
    messages: input.request.messages,
    maxTokens: input.request.maxTokens,
    reasoning: input.request.reasoning,
    hedgeModel: input.hedgeModel,
  });
  const estimate = worstCaseCostNanoUsd(candidates);
  const outcome = await budgets.reserve(input.tenant, input.jobId, estimate);
  if (outcome.ok) return;
  throw new ClientError(
    'budget_exceeded',
    `this request (estimated at most $${fromNanoUsd(estimate)}) would exceed the tenant's ${outcome.period} budget`,
    {
      period: outcome.period,
      limit_usd: fromNanoUsd(outcome.limitNanoUsd),
      spent_usd: fromNanoUsd(outcome.spentNanoUsd),
      reserved_usd: fromNanoUsd(outcome.reservedNanoUsd),
      estimated_cost_usd: fromNanoUsd(estimate),
    },
  );
}
