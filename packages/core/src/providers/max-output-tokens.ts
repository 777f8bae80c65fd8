import type { z } from 'zod';
import type { catalogProviderIdSchema, ModelEntry } from '../catalog/model-catalog';
import { defaultEstimatedOutputTokens } from '../catalog/model-pricing';
import type { ChatRequest } from '../messages/chat-request';
import { reasoningBudgetFor } from '../messages/reasoning-translation';
import type { ReasoningOptions } from '../messages/tool-definition';
import { isUnsupportedParameterError } from '../messages/unsupported-parameter-error';
import { anthropicThinkingOf } from './anthropic/anthropic-thinking';
import { type ModelTraits, modelTraitsOf } from './model-traits';
import { defaultAnthropicMaxTokens, type ProviderKind } from './provider';

/** The adapter kind of every provider account a catalog entry may name. */
export const accountKinds: Readonly<Record<z.infer<typeof catalogProviderIdSchema>, ProviderKind>> =
  {
    'simulator-openai': 'openai',
    'simulator-anthropic': 'anthropic',
    'simulator-azure': 'azure-openai',
    'simulator-gemini': 'gemini',
    local: 'openai-compatible',
    openai: 'openai',
    anthropic: 'anthropic',
    'azure-openai': 'azure-openai',
    gemini: 'gemini',
    groq: 'openai-compatible',
    mistral: 'openai-compatible',
    deepseek: 'openai-compatible',
    together: 'openai-compatible',
  };

/**
 * The output limit a model's adapter sends for a request, undefined when it sends none.
 * Anthropic's is `max_tokens` as `anthropicThinkingOf` makes it (the account's default, plus
 * the thinking budget an effort adds, within the model's most output); the others send the
 * request's own limit.
 */
export function sentMaxTokens(
  kind: ProviderKind,
  modelId: string,
  request: Pick<ChatRequest, 'maxTokens' | 'reasoning'>,
  traits: ModelTraits = {},
  /** The account's `maxTokensDefault` (Anthropic); default 4,096 (`defaultAnthropicMaxTokens`). */
  maxTokensDefault: number = defaultAnthropicMaxTokens,
): number | undefined {
  if (kind !== 'anthropic') return request.maxTokens;
  try {
    return anthropicThinkingOf(
      request,
      // Not `{ ...traits, id }`: a spread copy given a new key costs ~1 µs on Node 20.
      Object.assign({}, traits, { id: modelId }),
      maxTokensDefault,
    ).maxTokens;
  } catch (error) {
    // A request the adapter refuses bills nothing; the submit's own check refuses it by name.
    if (isUnsupportedParameterError(error)) return request.maxTokens;
    throw error;
  }
}

/** What an output limit is worked out with besides the model and the request. */
export interface OutputLimitOptions {
  /**
   * The `max_tokens` the model's Anthropic account sends when a request names none (its
   * `maxTokensDefault`; `ModelCatalog.maxTokensDefaultOf`). Default 4,096.
   */
  maxTokensDefault?: number;
  /**
   * The answer a call that sends no limit is estimated at, in tokens. Default 1,024
   * (`defaultEstimatedOutputTokens`).
   */
  unlimited?: number;
}

/**
 * The most output tokens a call to `entry` may bill: the limit its adapter sends (see
 * {@link sentMaxTokens}), capped at the model's maximum output. A call that sends no limit may
 * answer up to the model's maximum; it is estimated at `unlimited` for the answer plus, when it
 * reasons, the thinking it may do on top ({@link thinkingWithoutLimit}). Cost estimates, budget
 * reservations and the provider rate limiter all reserve this.
 */
export function maxOutputTokensOf(
  entry: CatalogModel,
  request: Pick<ChatRequest, 'maxTokens' | 'reasoning'>,
  options: OutputLimitOptions = {},
): number {
  const sent = sentMaxTokensOf(entry, request, options.maxTokensDefault);
  const most =
    sent ??
    (options.unlimited ?? defaultEstimatedOutputTokens) + thinkingWithoutLimit(request.reasoning);
  return Math.min(most, entry.max_output_tokens);
}

/** What {@link maxOutputTokensOf} reads of a catalog entry. */
export type CatalogModel = Pick<ModelEntry, 'provider' | 'upstream_model' | 'max_output_tokens'> &
  Parameters<typeof modelTraitsOf>[0];

/**
 * {@link sentMaxTokens} for a catalog entry: its account's kind, its name and its traits; what
 * routing checks beside the prompt against the context window.
 */
export function sentMaxTokensOf(
  entry: CatalogModel,
  request: Pick<ChatRequest, 'maxTokens' | 'reasoning'>,
  /** The account's `maxTokensDefault` (see {@link OutputLimitOptions}). */
  maxTokensDefault?: number,
): number | undefined {
  return sentMaxTokens(
    accountKinds[entry.provider],
    entry.upstream_model,
    request,
    modelTraitsOf(entry),
    maxTokensDefault,
  );
}

/**
 * Thinking tokens a call that sends no output limit may bill besides its answer: the budget
 * sent (Gemini's `thinkingBudget`, which Gemini counts inside `maxOutputTokens`, as OpenAI counts
 * reasoning inside `max_completion_tokens`), or for an effort alone the budget it stands for;
 * adaptive thinking with no effort as the medium budget (Gemini's dynamic thinking goes up to
 * 8,192 tokens).
 */
function thinkingWithoutLimit(reasoning: ReasoningOptions | undefined): number {
  if (reasoning === undefined) return 0;
  return reasoningBudgetFor(reasoning) ?? reasoningBudgetFor({ effort: 'medium' }) ?? 0;
}
