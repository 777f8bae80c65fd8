import type { z } from 'zod';
import { countInputTokens, countTextTokens } from '../../tokens/count-tokens';
import { anthropicMessagesRequestSchema } from './anthropic-messages-request-schema';
import { convertAnthropicMessagesRequest } from './convert-anthropic-messages-request';

/**
 * `POST /v1/messages/count_tokens`, as Anthropic defines it: the fields of a message request
 * that make its input (model, messages, system, tools, tool choice, thinking, output format).
 * Sampling and output fields (`max_tokens`, `stream`, `temperature` …) are not part of it and
 * are refused by name, as Anthropic refuses them.
 */
export const anthropicCountTokensRequestSchema = anthropicMessagesRequestSchema
  .pick({
    model: true,
    messages: true,
    system: true,
    tools: true,
    tool_choice: true,
    thinking: true,
    output_config: true,
  })
  .strict();
export type AnthropicCountTokensRequest = z.infer<typeof anthropicCountTokensRequestSchema>;

/**
 * The input tokens of a count_tokens request: read by the anthropic-messages dialect's
 * converter (so a field llmq would refuse on `/v1/messages` is refused here too), then counted
 * as routing and `message_start` count a request (messages with the system prompt, and tool
 * definitions; see `countInputTokens`), plus an output format's JSON schema, which the
 * provider also reads as input. An estimate with o200k for non-OpenAI models.
 */
export function countAnthropicInputTokens(body: AnthropicCountTokensRequest): number {
  // The converter needs a `max_tokens`; it only carries it, so any positive value does.
  const { request } = convertAnthropicMessagesRequest({ ...body, max_tokens: 1 });
  const format = request.responseFormat;
  const schemaTokens =
    format?.type === 'json_schema' ? countTextTokens(JSON.stringify(format.schema)) : 0;
  return countInputTokens(request.messages, request.tools) + schemaTokens;
}
