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
 * Anthropic's is `max_tokens` as `anthropicThinkingOf` makes it (the default, plus the
 * thinking budget an effort adds, within the model's most output); the others send the
 * request's own limit. Accounts are
 * built with the default `max_tokens` (`defaultAnthropicMaxTokens`).
 */
export function sentMaxTokens(
  kind: ProviderKind,
  modelId: string,
  request: Pick<ChatRequest, 'maxTokens' | 'reasoning'>,
  traits: ModelTraits = {},
): number | undefined {
  if (kind !== 'anthropic') return request.maxTokens;
  try {
    return anthropicThinkingOf(request, { ...traits, id: modelId }, defaultAnthropicMaxTokens)
      .maxTokens;
  } catch (error) {
    // A request the adapter refuses bills nothing; the submit's own check refuses it by name.
    if (isUnsupportedParameterError(error)) return request.maxTokens;
    throw error;
  }
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
  unlimited: number = defaultEstimatedOutputTokens,
): number {
  const sent = sentMaxTokensOf(entry, request);
  const most = sent ?? unlimited + thinkingWithoutLimit(request.reasoning);
  return Math.min(most, entry.max_output_tokens);
}

/** What {@link maxOutputTokensOf} reads of a catalog entry. */
export type CatalogModel = Pick<ModelEntry, 'provider' | 'upstream_model' | 'max_output_tokens'> &
  Parameters<typeof modelTraitsOf>[0];

/** {@link sentMaxTokens} for a catalog entry: its account's kind, its name and its traits. */
function sentMaxTokensOf(
  entry: CatalogModel,
  request: Pick<ChatRequest, 'maxTokens' | 'reasoning'>,
): number | undefined {
  return sentMaxTokens(
    accountKinds[entry.provider],
    entry.upstream_model,
    request,
    modelTraitsOf(entry),
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
