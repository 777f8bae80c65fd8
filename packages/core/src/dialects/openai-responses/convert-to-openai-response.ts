import type OpenAI from 'openai';
import type { FinishReason, Usage } from '../../messages/chat-result';
import type { AssistantContentPart, ReasoningPart } from '../../messages/content-part';
import { encryptedContentOf } from './reasoning-encrypted-content';
import type { ResponseSettings } from './response-settings';

export type ResponseStatus = NonNullable<OpenAI.Responses.Response['status']>;
export type ResponseOutputItem =
  | OpenAI.Responses.ResponseOutputMessage
  | OpenAI.Responses.ResponseFunctionToolCall
  | OpenAI.Responses.ResponseReasoningItem;
export type ResponseOutputItemKind = 'msg' | 'fc' | 'rs';

/** A Responses API response object as llmq sends it (`output_text` is the SDKs' own addition). */
export interface ResponseObject extends Omit<ResponseSettings, 'encrypted_reasoning'> {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  output: ResponseOutputItem[];
  usage: OpenAI.Responses.ResponseUsage | null;
}

/** What a response object is made of besides its settings. */
export interface ResponseFacts {
  id: string;
  /** Seconds since the epoch. */
  createdAt: number;
  status: ResponseStatus;
  completedAt?: number;
  output?: ResponseOutputItem[];
  usage?: Usage;
  error?: { code: string; message: string };
  incompleteReason?: 'max_output_tokens' | 'content_filter';
}

/** Our usage in the Responses shape (input tokens include cached ones, as OpenAI counts them). */
export function responsesUsage(usage: Usage): OpenAI.Responses.ResponseUsage {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: {
      cached_tokens: usage.cachedInputTokens,
      cache_write_tokens: usage.cacheWriteInputTokens ?? 0,
    },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens,
  };
}

/**
 * An output item's id: made from the response's and the item's place in the output, so every
 * read of a response (create, stream, retrieve, replay) gives the same ids.
 */
export function outputItemId(
  responseId: string,
  kind: ResponseOutputItemKind,
  outputIndex: number,
): string {
  return `${kind}_${responseId.replace(/^resp_/, '')}${outputIndex.toString(16).padStart(4, '0')}`;
}

/** The response and output index an output item id was made from; undefined for another id. */
export function parseOutputItemId(
  itemId: string,
): { responseId: string; outputIndex: number } | undefined {
  const match = /^(?:msg|fc|rs)_([0-9a-f]{32})([0-9a-f]{4})$/.exec(itemId);
  if (!match) return undefined;
  return { responseId: `resp_${match[1]}`, outputIndex: Number.parseInt(match[2] as string, 16) };
}

/** How an answer that ended for `reason` ends as a response: its status, and why if incomplete. */
export function responseEnd(
  reason: FinishReason,
): Pick<ResponseFacts, 'status' | 'incompleteReason'> {
  if (reason === 'length') return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
  if (reason === 'content_filter')
    return { status: 'incomplete', incompleteReason: 'content_filter' };
  return { status: 'completed' };
}

/** A reasoning part as a finished reasoning item. */
export function reasoningItem(
  id: string,
  part: ReasoningPart,
  encrypted: boolean,
): OpenAI.Responses.ResponseReasoningItem {
  return {
    id,
    type: 'reasoning',
    summary: [],
    content: part.redactedData !== undefined ? [] : [{ type: 'reasoning_text', text: part.text }],
    encrypted_content: encrypted ? encryptedContentOf(part) : null,
    status: 'completed',
  };
}

/**
 * An answer's parts as output items, in order: consecutive text parts are one `message` with
 * one `output_text`; each reasoning part is a `reasoning` item; each tool call a `function_call`.
 */
export function convertToResponseOutput(
  content: readonly AssistantContentPart[],
  facts: { responseId: string; incomplete: boolean; encryptedReasoning: boolean },
): ResponseOutputItem[] {
  const output: ResponseOutputItem[] = [];
  for (const part of content) {
    const index = output.length;
    const last = output.at(-1);
    switch (part.type) {
      case 'text': {
        const text = last?.type === 'message' ? last.content[0] : undefined;
        if (text?.type === 'output_text') {
          text.text += part.text;
          continue;
        }
        output.push({
          id: outputItemId(facts.responseId, 'msg', index),
          type: 'message',
          role: 'assistant',
          status: facts.incomplete ? 'incomplete' : 'completed',
          content: [{ type: 'output_text', text: part.text, annotations: [], logprobs: [] }],
        });
        continue;
      }
      case 'reasoning':
        output.push(
          reasoningItem(
            outputItemId(facts.responseId, 'rs', index),
            part,
            facts.encryptedReasoning,
          ),
        );
        continue;
      case 'tool-call':
        output.push({
          id: outputItemId(facts.responseId, 'fc', index),
          type: 'function_call',
          call_id: part.toolCallId,
          name: part.toolName,
          arguments: part.arguments,
          status: 'completed',
        });
        continue;
      default: {
        const unreachable: never = part;
        return unreachable;
      }
    }
  }
  return output;
}

/** A response object from its settings and what is known of it now. */
export function responseObject(settings: ResponseSettings, facts: ResponseFacts): ResponseObject {
  const { encrypted_reasoning: _encrypted, ...echoed } = settings;
  return {
    id: facts.id,
    object: 'response',
    created_at: facts.createdAt,
    status: facts.status,
    completed_at: facts.completedAt ?? null,
    error: facts.error ?? null,
    incomplete_details: facts.incompleteReason ? { reason: facts.incompleteReason } : null,
    output: facts.output ?? [],
    usage: facts.usage ? responsesUsage(facts.usage) : null,
    ...echoed,
  };
}
