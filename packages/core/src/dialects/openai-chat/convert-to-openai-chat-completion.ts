import type OpenAI from 'openai';
import {
  answerText,
  type ChatAnswer,
  type FinishReason,
  type TokenLogprob,
  type Usage,
} from '../../messages/chat-result';
import type { DialectAnswer } from '../dialect-answer';
import type { OpenAIThinkingBlock } from './openai-chat-request-schema';
import { thinkingBlocksOf } from './openai-thinking-blocks';

/** How an answer is written for the request it answers. */
export interface OpenAIAnswerOptions {
  /**
   * The request used the legacy `functions`: a tool call goes out as `function_call` with
   * `finish_reason: "function_call"`, as OpenAI answers such a request. That answer has room
   * for one call: the request asks the model for one (`preferOneToolCall`), and a model that
   * cannot be asked (Gemini, a server refusing `parallel_tool_calls`) and calls several
   * functions in one turn has its first call answered.
   */
  legacyFunctions?: boolean;
}

/**
 * The `service_tier` and `system_fingerprint` of an answer: the provider's when it sent them
 * (OpenAI-format providers do), else what OpenAI sends for a call on its default tier by a
 * model without a fingerprint (`default`, `null`).
 */
export function openAIServing(answer: Pick<DialectAnswer, 'serviceTier' | 'systemFingerprint'>): {
  service_tier: OpenAI.Chat.ChatCompletion['service_tier'];
  system_fingerprint: string;
} {
  return {
    service_tier: (answer.serviceTier ?? 'default') as OpenAI.Chat.ChatCompletion['service_tier'],
    // OpenAI sends `null` for a model without one; the SDK types it `string | undefined`.
    system_fingerprint: answer.systemFingerprint ?? (null as unknown as string),
  };
}

/** Our finish reason in OpenAI's words. */
export function openAIFinishReason(
  reason: FinishReason,
  options: OpenAIAnswerOptions = {},
): OpenAI.Chat.ChatCompletion.Choice['finish_reason'] {
  if (reason === 'tool_calls' && options.legacyFunctions) return 'function_call';
  return reason === 'other' ? 'stop' : reason;
}

/** Our usage in OpenAI's shape (prompt tokens include cached ones, as OpenAI counts them). */
export function openAIUsage(usage: Usage): OpenAI.CompletionUsage {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

/** The reasoning text of an answer, as `reasoning_content` (the field OpenAI-compatible servers use). */
function reasoningText(answer: ChatAnswer): string | undefined {
  // Redacted reasoning is encrypted: it has no text to show.
  const texts = answer.content.flatMap((part) =>
    part.type === 'reasoning' && part.redactedData === undefined ? [part.text] : [],
  );
  return texts.length === 0 ? undefined : texts.join('\n');
}

/**
 * One neutral answer as an OpenAI choice. Text parts join into `content` (null when the
 * answer is only tool calls, as OpenAI sends it); tool calls keep their ids and JSON text.
 */
function convertToOpenAIChoice(
  answer: ChatAnswer,
  index: number,
  options: OpenAIAnswerOptions,
): OpenAI.Chat.ChatCompletion.Choice {
  const toolCalls = answer.content.flatMap((part) =>
    part.type === 'tool-call'
      ? [
          {
            id: part.toolCallId,
            type: 'function' as const,
            function: { name: part.toolName, arguments: part.arguments },
          },
        ]
      : [],
  );
  const text = answerText(answer.content);
  const message: OpenAI.Chat.ChatCompletionMessage & {
    reasoning_content?: string;
    thinking_blocks?: OpenAIThinkingBlock[];
  } = {
    role: 'assistant',
    content: text === '' && toolCalls.length > 0 ? null : text,
    refusal: null,
  };
  const [firstCall] = toolCalls;
  if (options.legacyFunctions && firstCall !== undefined)
    message.function_call = firstCall.function;
  else if (firstCall !== undefined) message.tool_calls = toolCalls;
  const reasoning = reasoningText(answer);
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  const thinkingBlocks = thinkingBlocksOf(answer.content);
  if (thinkingBlocks !== undefined) message.thinking_blocks = thinkingBlocks;
  const choice: OpenAI.Chat.ChatCompletion.Choice = {
    index,
    message,
    finish_reason: openAIFinishReason(answer.finishReason, options),
    logprobs: null,
  };
  if (answer.logprobs !== undefined)
    choice.logprobs = { content: openAITokenLogprobs(answer.logprobs), refusal: null };
  return choice;
}

/** Token logprobs as OpenAI's `logprobs.content` (each token's UTF-8 `bytes` included). */
export function openAITokenLogprobs(
  logprobs: readonly TokenLogprob[],
): OpenAI.Chat.ChatCompletionTokenLogprob[] {
  return logprobs.map((entry) => ({
    token: entry.token,
    logprob: entry.logprob,
    bytes: [...Buffer.from(entry.token, 'utf8')],
    top_logprobs: entry.topLogprobs.map((top) => ({
      token: top.token,
      logprob: top.logprob,
      bytes: [...Buffer.from(top.token, 'utf8')],
    })),
  }));
}

/** A neutral answer (and its other choices, for `n` > 1) as an OpenAI `chat.completion`. */
export function convertToOpenAIChatCompletion(
  answer: DialectAnswer,
  options: OpenAIAnswerOptions = {},
): OpenAI.Chat.ChatCompletion {
  const answers = [answer, ...(answer.otherChoices ?? [])];
  return {
    id: answer.id,
    object: 'chat.completion',
    created: answer.created,
    model: answer.model,
    choices: answers.map((choice, index) => convertToOpenAIChoice(choice, index, options)),
    usage: openAIUsage(answer.usage),
    ...openAIServing(answer),
  };
}
