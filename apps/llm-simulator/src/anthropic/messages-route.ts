import type { Conversation } from '../generation/conversation';
import { lastTextOf } from '../generation/conversation';
import { countConversationTokens } from '../generation/count-prompt-tokens';
import { generateReply, type Reply } from '../generation/generate-reply';
import { groupReplyDeltas } from '../generation/group-reply-deltas';
import { replySeedMaterial } from '../generation/reply-seed';
import { randomIdSuffix } from '../model-call/create-id';
import type { ModelRoute } from '../model-call/model-route';
import type { SseEvent } from '../server/sse-event';
import { anthropicDialect } from './anthropic-dialect';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason';
import {
  anthropicContentText,
  type MessagesRequest,
  messagesRequestSchema,
} from './messages-request-schema';

/** `POST /v1/messages`, whole or streamed. */
export const messagesRoute: ModelRoute<MessagesRequest> = {
  path: '/v1/messages',
  dialect: anthropicDialect,
  requestSchema: messagesRequestSchema,
  answer(request) {
    const conversation: Conversation = [
      ...(request.system === undefined
        ? []
        : [['system', anthropicContentText(request.system)] as const]),
      ...request.messages.map(
        (message) => [message.role, anthropicContentText(message.content)] as const,
      ),
    ];
    const stopSequences = request.stop_sequences ?? [];
    const reply = generateReply({
      seedMaterial: replySeedMaterial({
        model: request.model,
        conversation,
        temperature: request.temperature ?? null,
        topP: request.top_p ?? null,
        seed: null,
        maxTokens: request.max_tokens,
        stopSequences,
      }),
      lastUserText: lastTextOf(conversation, 'user'),
      maxTokens: request.max_tokens,
      stopSequences,
    });
    const inputTokens = countConversationTokens(conversation);
    const message = { id: `msg_01${randomIdSuffix(22)}`, model: request.model };
    return {
      stream: request.stream === true,
      inputCount: 1,
      inputTokens,
      outputTokens: reply.completionTokens,
      renderBody: () =>
        JSON.stringify({
          ...messageShell(message, inputTokens, reply.completionTokens),
          content: [{ type: 'text', text: reply.text }],
          stop_reason: mapAnthropicStopReason(reply.finish),
          stop_sequence: reply.stopSequence,
        }),
      renderEvents: () => messageEvents(message, reply, inputTokens),
    };
  },
};

function messageShell(
  message: { id: string; model: string },
  inputTokens: number,
  outputTokens: number,
) {
  return {
    id: message.id,
    type: 'message',
    role: 'assistant',
    model: message.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    stop_details: null,
    usage: {
      input_tokens: inputTokens,
      output_tokens: outputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      service_tier: 'standard',
    },
  };
}

function messageEvents(
  message: { id: string; model: string },
  reply: Reply,
  inputTokens: number,
): SseEvent[] {
  const event = (type: string, payload: object, tokens = 0): SseEvent => ({
    event: type,
    data: JSON.stringify({ type, ...payload }),
    tokens,
  });
  return [
    // Like the real API, message_start reports 1 output token; message_delta has the total.
    event('message_start', { message: messageShell(message, inputTokens, 1) }),
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
    event('ping', {}),
    ...groupReplyDeltas(reply.pieces).map((delta) =>
      event(
        'content_block_delta',
        { index: 0, delta: { type: 'text_delta', text: delta.text } },
        delta.tokens,
      ),
    ),
    event('content_block_stop', { index: 0 }),
    event('message_delta', {
      delta: {
        stop_reason: mapAnthropicStopReason(reply.finish),
        stop_sequence: reply.stopSequence,
        stop_details: null,
      },
      usage: { output_tokens: reply.completionTokens },
    }),
    event('message_stop', {}),
  ];
}
