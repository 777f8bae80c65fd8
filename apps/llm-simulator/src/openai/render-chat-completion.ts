import type { ChatAnswerPlan } from '../chat/plan-chat-answer';
import { splitArguments } from '../chat/split-arguments';
import { groupReplyDeltas } from '../generation/group-reply-deltas';
import type { SseEvent } from '../server/sse-event';
import {
  type ChatCompletionTokens,
  chatCompletionUsage,
  SYSTEM_FINGERPRINT,
} from './convert-openai-usage';
import { mapOpenAiFinishReason } from './map-openai-finish-reason';
import { tokenLogprobs } from './token-logprobs';

/** The id, creation time and model every body or chunk of one completion repeats. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
  /** The tier that served it: `flex` when asked for, else `default`. */
  serviceTier: 'default' | 'flex';
}

/** One choice's planned answer with the ids of its tool calls. */
export interface AnsweredChoice {
  plan: ChatAnswerPlan;
  toolCallIds: string[];
  /** Reasoning tokens the choice spent (reasoning models). */
  reasoningTokens: number;
  /** Visible plus reasoning tokens. */
  completionTokens: number;
}

/** `logprobs: true` with `top_logprobs` alternatives per token; `null` when not asked. */
export type LogprobsRequest = { top: number } | null;

function logprobsOf(text: string, request: LogprobsRequest, startPosition = 0) {
  if (request === null) return null;
  return { content: tokenLogprobs(text, request.top, startPosition), refusal: null };
}

function toolCallsOf(choice: AnsweredChoice) {
  return choice.plan.toolCalls.map((call, index) => ({
    id: choice.toolCallIds[index]!,
    type: 'function' as const,
    function: { name: call.name, arguments: call.argumentsJson },
  }));
}

/** The JSON body of a whole chat completion. */
export function chatCompletionBody(
  completion: CompletionIdentity,
  choices: readonly AnsweredChoice[],
  usage: ChatCompletionTokens,
  logprobs: LogprobsRequest,
): string {
  return JSON.stringify({
    id: completion.id,
    object: 'chat.completion',
    created: completion.created,
    model: completion.model,
    choices: choices.map((choice, index) => {
      const { plan } = choice;
      const hasToolCalls = plan.toolCalls.length > 0;
      return {
        index,
        message: {
          role: 'assistant',
          content: hasToolCalls && plan.reply.text.length === 0 ? null : plan.reply.text,
          refusal: null,
          annotations: [],
          ...(hasToolCalls ? { tool_calls: toolCallsOf(choice) } : {}),
        },
        logprobs: logprobsOf(plan.reply.text, logprobs),
        finish_reason: mapOpenAiFinishReason(plan.finish),
      };
    }),
    usage: chatCompletionUsage(usage),
    service_tier: completion.serviceTier,
    system_fingerprint: SYSTEM_FINGERPRINT,
  });
}

/**
 * The chunks of a streamed chat completion. Each choice's chunks are the role, then text deltas
 * or for each tool call a delta with its `index`, id and name followed by argument chunks, then
 * the finish reason; with `n` > 1 the choices are generated side by side, so their chunks
 * interleave (one chunk of each in turn, each naming its choice's `index`) and a shorter choice
 * finishes first, as on OpenAI. Then the usage chunk when asked (`choices: []`); `[DONE]`.
 */
export function chatCompletionChunks(
  completion: CompletionIdentity,
  choices: readonly AnsweredChoice[],
  usage: ChatCompletionTokens,
  includeUsage: boolean,
  logprobs: LogprobsRequest,
): SseEvent[] {
  const chunk = (choice: object | null, tokens: number, usageBody: unknown = null): SseEvent => ({
    data: JSON.stringify({
      id: completion.id,
      object: 'chat.completion.chunk',
      created: completion.created,
      model: completion.model,
      service_tier: completion.serviceTier,
      system_fingerprint: SYSTEM_FINGERPRINT,
      choices: choice === null ? [] : [choice],
      ...(includeUsage ? { usage: usageBody } : {}),
    }),
    tokens,
  });
  const perChoice: SseEvent[][] = [];
  for (const [index, choice] of choices.entries()) {
    const events: SseEvent[] = [];
    perChoice.push(events);
    const delta = (
      body: object,
      tokens: number,
      finishReason: string | null = null,
      chunkLogprobs: unknown = null,
    ) =>
      chunk({ index, delta: body, logprobs: chunkLogprobs, finish_reason: finishReason }, tokens);
    const { plan } = choice;
    const toolCalls = toolCallsOf(choice);
    // The role chunk carries the reasoning tokens, so a paced stream waits for the reasoning
    // before the first content delta, as a reasoning model does.
    events.push(
      delta(
        { role: 'assistant', content: toolCalls.length > 0 ? null : '', refusal: null },
        choice.reasoningTokens,
      ),
    );
    let position = 0;
    for (const text of groupReplyDeltas(plan.reply.pieces)) {
      const textLogprobs = logprobsOf(text.text, logprobs, position);
      position += textLogprobs?.content.length ?? 0;
      events.push(delta({ content: text.text }, text.tokens, null, textLogprobs));
    }
    for (const [callIndex, call] of toolCalls.entries()) {
      events.push(
        delta(
          {
            tool_calls: [
              {
                index: callIndex,
                id: call.id,
                type: 'function',
                function: { name: call.function.name, arguments: '' },
              },
            ],
          },
          0,
        ),
      );
      for (const piece of splitArguments(call.function.arguments))
        events.push(
          delta(
            { tool_calls: [{ index: callIndex, function: { arguments: piece.text } }] },
            piece.tokens,
          ),
        );
    }
    events.push(delta({}, 0, mapOpenAiFinishReason(plan.finish)));
  }
  const events = interleave(perChoice);
  if (includeUsage) events.push(chunk(null, 0, chatCompletionUsage(usage)));
  events.push({ data: '[DONE]', tokens: 0 });
  return events;
}

/** One event of each list in turn, until all are used up. */
function interleave(lists: readonly SseEvent[][]): SseEvent[] {
  const merged: SseEvent[] = [];
  const longest = Math.max(0, ...lists.map((list) => list.length));
  for (let position = 0; position < longest; position += 1)
    for (const list of lists) {
      const event = list[position];
      if (event !== undefined) merged.push(event);
    }
  return merged;
}
