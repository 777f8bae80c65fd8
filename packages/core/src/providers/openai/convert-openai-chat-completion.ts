import type { GenerateResult, Usage } from '../language-model';
import { ProviderError } from '../provider-error';
import { convertOpenAIFinishReason } from './convert-openai-finish-reason';
import type { OpenAIUsageFields } from './convert-openai-usage';

/** The fields of a chat completion the adapters read; typed loosely, checked at runtime. */
interface OpenAIChatCompletionFields {
  id?: unknown;
  model?: unknown;
  choices?: unknown;
  usage?: OpenAIUsageFields | null;
}

interface OpenAIChoiceFields {
  message?: { content?: unknown } | null;
  finish_reason?: string | null;
}

export interface ConvertOpenAIChatCompletionOptions {
  provider: string;
  /** The model asked for, reported when the answer names none. */
  modelId: string;
  /** Converts `usage`; returns undefined when an answer without usage is malformed. */
  convertUsage: (usage: OpenAIUsageFields | undefined) => Usage | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Converts a (non-streamed) chat completion body into a GenerateResult, checking its shape:
 * a body without a first choice, text or usage is a `malformed_response`. Shared by the
 * OpenAI adapter (SDK-parsed body) and the OpenAI-compatible one (its own JSON.parse).
 */
export function convertOpenAIChatCompletion(
  body: unknown,
  options: ConvertOpenAIChatCompletionOptions,
): Omit<GenerateResult, 'rateLimit'> {
  const malformed = (reason: string) =>
    new ProviderError({
      code: 'malformed_response',
      message: `${options.provider}: malformed chat completion: ${reason}`,
      provider: options.provider,
    });
  if (!isObject(body)) throw malformed('the body is not a JSON object');
  const completion = body as OpenAIChatCompletionFields;
  const choices = completion.choices;
  if (!Array.isArray(choices) || !isObject(choices[0])) throw malformed('no choices');
  const choice = choices[0] as OpenAIChoiceFields;
  const content = choice.message?.content;
  if (content !== null && content !== undefined && typeof content !== 'string') {
    throw malformed('message.content is not text');
  }
  const usage = options.convertUsage(isObject(completion.usage) ? completion.usage : undefined);
  if (usage === undefined) throw malformed('no usage');
  return {
    text: content ?? '',
    finishReason: convertOpenAIFinishReason(choice.finish_reason),
    usage,
    responseModel: typeof completion.model === 'string' ? completion.model : options.modelId,
    responseId: typeof completion.id === 'string' ? completion.id : undefined,
  };
}
