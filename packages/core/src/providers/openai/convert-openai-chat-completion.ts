import type { ChatAnswer, TokenLogprob } from '../../messages/chat-result';
import { answerText } from '../../messages/chat-result';
import type { AssistantContentPart } from '../../messages/content-part';
import type { GenerateResult, Usage } from '../language-model';
import { ProviderError } from '../provider-error';
import { convertOpenAIFinishReason } from './convert-openai-finish-reason';
import type { OpenAIUsageFields } from './convert-openai-usage';

/** The fields of a chat completion the adapters read; typed loosely, checked at runtime. */
interface OpenAIChatCompletionFields {
  id?: unknown;
  model?: unknown;
  system_fingerprint?: unknown;
  service_tier?: unknown;
  choices?: unknown;
  usage?: OpenAIUsageFields | null;
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

/** The logprobs of a choice (`choice.logprobs.content`), when it has them. */
export function convertOpenAILogprobs(logprobs: unknown): TokenLogprob[] | undefined {
  if (!isObject(logprobs) || !Array.isArray(logprobs.content)) return undefined;
  return logprobs.content.filter(isObject).map((entry) => ({
    token: String(entry.token),
    logprob: Number(entry.logprob),
    topLogprobs: (Array.isArray(entry.top_logprobs) ? entry.top_logprobs : [])
      .filter(isObject)
      .map((top) => ({ token: String(top.token), logprob: Number(top.logprob) })),
  }));
}

/**
 * The content parts of a choice's message: reasoning first (`reasoning_content`, which
 * OpenAI-compatible servers such as vLLM and DeepSeek send), then the text, then tool calls.
 */
function convertMessageContent(
  message: Record<string, unknown>,
  malformed: (reason: string) => ProviderError,
): AssistantContentPart[] {
  const parts: AssistantContentPart[] = [];
  const reasoning = message.reasoning_content;
  if (typeof reasoning === 'string' && reasoning !== '')
    parts.push({ type: 'reasoning', text: reasoning });
  const content = message.content;
  if (content !== null && content !== undefined && typeof content !== 'string') {
    throw malformed('message.content is not text');
  }
  if (typeof content === 'string' && content !== '') parts.push({ type: 'text', text: content });
  const toolCalls = message.tool_calls;
  if (toolCalls !== undefined && toolCalls !== null) {
    if (!Array.isArray(toolCalls)) throw malformed('message.tool_calls is not a list');
    for (const call of toolCalls) {
      const fn = isObject(call) ? call.function : undefined;
      if (
        !isObject(call) ||
        typeof call.id !== 'string' ||
        !isObject(fn) ||
        typeof fn.name !== 'string'
      ) {
        throw malformed('a tool call has no id or function name');
      }
      parts.push({
        type: 'tool-call',
        toolCallId: call.id,
        toolName: fn.name,
        arguments: typeof fn.arguments === 'string' ? fn.arguments : '{}',
      });
    }
  }
  return parts;
}

/** One choice of a chat completion as a neutral answer. */
function convertChoice(
  choice: Record<string, unknown>,
  malformed: (reason: string) => ProviderError,
): ChatAnswer {
  const content = convertMessageContent(isObject(choice.message) ? choice.message : {}, malformed);
  const answer: ChatAnswer = {
    content,
    finishReason: convertOpenAIFinishReason(
      typeof choice.finish_reason === 'string' ? choice.finish_reason : undefined,
    ),
  };
  const logprobs = convertOpenAILogprobs(choice.logprobs);
  if (logprobs !== undefined) answer.logprobs = logprobs;
  return answer;
}

/**
 * Converts a (non-streamed) chat completion body into a GenerateResult, checking its shape:
 * a body without a first choice, text or usage is a `malformed_response`. Choices after the
 * first (`n` > 1) become `otherChoices`, in `index` order. Shared by the OpenAI adapter
 * (SDK-parsed body) and the OpenAI-compatible one (its own JSON.parse).
 */
export function convertOpenAIChatCompletion(
  body: unknown,
  options: ConvertOpenAIChatCompletionOptions,
): GenerateResult {
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
  const answers = choices
    .filter(isObject)
    .sort((a, b) => Number(a.index ?? 0) - Number(b.index ?? 0))
    .map((choice) => convertChoice(choice, malformed));
  const [first, ...others] = answers as [ChatAnswer, ...ChatAnswer[]];
  const usage = options.convertUsage(isObject(completion.usage) ? completion.usage : undefined);
  if (usage === undefined) throw malformed('no usage');
  // Listed, not spread: on Node 20 an object made by a spread and given more keys gets a hidden
  // class of its own, ~1 µs to make and a cache miss on every later read of it (a result is
  // read all along the job's path). `first` is made above, with these keys and no others.
  const result: GenerateResult = {
    content: first.content,
    finishReason: first.finishReason,
    ...(first.logprobs !== undefined ? { logprobs: first.logprobs } : {}),
    text: answerText(first.content),
    usage,
    responseModel: typeof completion.model === 'string' ? completion.model : options.modelId,
    responseId: typeof completion.id === 'string' ? completion.id : undefined,
  };
  if (typeof completion.system_fingerprint === 'string')
    result.systemFingerprint = completion.system_fingerprint;
  if (typeof completion.service_tier === 'string') result.serviceTier = completion.service_tier;
  if (others.length > 0) result.otherChoices = others;
  return result;
}
