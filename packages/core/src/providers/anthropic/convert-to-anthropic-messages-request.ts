import type Anthropic from '@anthropic-ai/sdk';
import type { GenerateRequest } from '../language-model';

/** The Messages API request body, minus `stream`. */
export type AnthropicMessagesRequestBody = Omit<
  Anthropic.MessageCreateParamsNonStreaming,
  'stream'
>;

export interface AnthropicMessagesRequestOptions {
  /** `max_tokens` when the request names no limit; Anthropic requires one. */
  maxTokensDefault: number;
}

/**
 * Converts a request to the Messages API's shape:
 * - system messages, wherever they stand, join (blank-line separated) into `system`;
 * - consecutive messages of the same role merge, since Anthropic wants user and assistant
 *   turns to alternate;
 * - `stop` becomes `stop_sequences`.
 *
 * Dropped: `seed` (Anthropic never had one), and `temperature` / `topP`: API version
 * 2026-10-21, which `@anthropic-ai/sdk` 1.x pins, no longer has sampling parameters (the SDK
 * removed them from `MessageCreateParams`), and sending an unknown field risks a 400.
 */
export function convertToAnthropicMessagesRequest(
  modelId: string,
  request: GenerateRequest,
  options: AnthropicMessagesRequestOptions,
): AnthropicMessagesRequestBody {
  const systemParts: string[] = [];
  const messages: Anthropic.MessageParam[] = [];
  let previous: { role: 'user' | 'assistant'; content: string } | undefined;
  for (const message of request.messages) {
    if (message.role === 'system') {
      systemParts.push(message.content);
      continue;
    }
    if (previous !== undefined && previous.role === message.role) {
      previous.content = `${previous.content}\n\n${message.content}`;
      continue;
    }
    previous = { role: message.role, content: message.content };
    messages.push(previous);
  }

  const body: AnthropicMessagesRequestBody = {
    model: modelId,
    messages,
    max_tokens: request.maxTokens ?? options.maxTokensDefault,
  };
  if (systemParts.length > 0) body.system = systemParts.join('\n\n');
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  return body;
}
