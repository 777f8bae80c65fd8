import type { CompleteResult, CompletionChoice } from '../completion-model';
import type { Usage } from '../language-model';
import { ProviderError } from '../provider-error';
import { convertOpenAIFinishReason } from './convert-openai-finish-reason';
import type { OpenAIUsageFields } from './convert-openai-usage';

export interface ConvertOpenAICompletionOptions {
  provider: string;
  /** The model asked for, reported when the answer names none. */
  modelId: string;
  /** How many prompts were sent: the answer must hold exactly one choice for each. */
  promptCount: number;
  /** Converts `usage`; returns undefined when an answer without usage is malformed. */
  convertUsage: (usage: OpenAIUsageFields | undefined) => Usage | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Converts a `text_completion` body into a CompleteResult, checking its shape: every prompt
 * must have exactly one choice (matched by `index`, whatever order they arrive in) with text,
 * else the answer is a `malformed_response` (a choice mapped to the wrong prompt would hand
 * one caller another's answer). Shared by the OpenAI and OpenAI-compatible adapters.
 */
export function convertOpenAICompletion(
  body: unknown,
  options: ConvertOpenAICompletionOptions,
): Omit<CompleteResult, 'rateLimit'> {
  const malformed = (reason: string) =>
    new ProviderError({
      code: 'malformed_response',
      message: `${options.provider}: malformed text completion: ${reason}`,
      provider: options.provider,
    });
  if (!isObject(body)) throw malformed('the body is not a JSON object');
  if (!Array.isArray(body.choices)) throw malformed('no choices');
  const byIndex = new Map<number, CompletionChoice>();
  for (const choice of body.choices as unknown[]) {
    if (!isObject(choice)) throw malformed('a choice is not an object');
    const { index, text, finish_reason: finishReason } = choice;
    if (typeof index !== 'number' || !Number.isInteger(index))
      throw malformed('a choice has no index');
    if (index < 0 || index >= options.promptCount)
      throw malformed(`choice index ${index} is outside the ${options.promptCount} prompts`);
    if (byIndex.has(index)) throw malformed(`two choices for prompt ${index}`);
    if (typeof text !== 'string') throw malformed(`choice ${index} has no text`);
    byIndex.set(index, {
      index,
      text,
      finishReason: convertOpenAIFinishReason(
        typeof finishReason === 'string' ? finishReason : undefined,
      ),
    });
  }
  if (byIndex.size !== options.promptCount)
    throw malformed(`${byIndex.size} choices for ${options.promptCount} prompts`);
  const usage = options.convertUsage(isObject(body.usage) ? body.usage : undefined);
  if (usage === undefined) throw malformed('no usage');
  return {
    choices: [...byIndex.values()].sort((a, b) => a.index - b.index),
    usage,
    responseModel: typeof body.model === 'string' ? body.model : options.modelId,
    responseId: typeof body.id === 'string' ? body.id : undefined,
  };
}
