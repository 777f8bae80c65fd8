import type { ChatRequest } from '../../messages/chat-request';
import type { ReasoningOptions, ToolChoice } from '../../messages/tool-definition';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { AnthropicMessagesRequest } from './anthropic-messages-request-schema';
import { convertAnthropicMessages } from './convert-anthropic-messages';

/** A Messages API request, read: the model asked for, whether to stream, and the neutral request. */
export interface AnthropicMessagesCall {
  model: string;
  stream: boolean;
  request: ChatRequest;
}

/**
 * Why server tools and MCP servers are refused: Anthropic runs them itself, and their calls and
 * results (`server_tool_use`, `*_tool_result`, `mcp_tool_use` blocks) have no place in the
 * neutral answer, so no model llmq routes to could carry them back faithfully.
 */
const serverSideReason = '(run by Anthropic itself) is not supported by';

function convertToolChoice(
  choice: NonNullable<AnthropicMessagesRequest['tool_choice']>,
): ToolChoice {
  switch (choice.type) {
    case 'auto':
      return 'auto';
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return { type: 'tool', toolName: choice.name };
    default: {
      const unreachable: never = choice;
      return unreachable;
    }
  }
}

function convertReasoning(body: AnthropicMessagesRequest): ReasoningOptions | undefined {
  const reasoning: ReasoningOptions = {};
  const thinking = body.thinking;
  if (thinking !== undefined && thinking.type !== 'disabled' && thinking.display === 'omitted') {
    throw new UnsupportedParameterError('thinking.display "omitted"', 'llmq');
  }
  if (thinking?.type === 'enabled') reasoning.budgetTokens = thinking.budget_tokens;
  if (thinking?.type === 'adaptive') reasoning.adaptive = true;
  if (thinking !== undefined && thinking.type !== 'disabled' && thinking.display === 'summarized')
    reasoning.summarized = true;
  const effort = body.output_config?.effort;
  if (effort === 'xhigh' || effort === 'max') {
    throw new UnsupportedParameterError(`output_config.effort "${effort}"`, 'llmq');
  }
  if (effort !== undefined && effort !== null) reasoning.effort = effort;
  return Object.keys(reasoning).length > 0 ? reasoning : undefined;
}

/** Reads a validated Messages API request into the neutral model. */
export function convertAnthropicMessagesRequest(
  body: AnthropicMessagesRequest,
): AnthropicMessagesCall {
  if (body.service_tier !== undefined) throw new UnsupportedParameterError('service_tier', 'llmq');
  const request: ChatRequest = {
    messages: convertAnthropicMessages(body),
    maxTokens: body.max_tokens,
  };
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.top_p !== undefined) request.topP = body.top_p;
  if (body.top_k !== undefined) request.topK = body.top_k;
  if (body.stop_sequences !== undefined && body.stop_sequences.length > 0)
    request.stop = body.stop_sequences;
  if (body.metadata?.user_id) request.safetyIdentifier = body.metadata.user_id;
  if (body.mcp_servers !== undefined && body.mcp_servers.length > 0) {
    throw new UnsupportedParameterError('mcp_servers', 'llmq', serverSideReason);
  }
  if (body.tools !== undefined) {
    request.tools = body.tools.map((tool, index) => {
      if (tool.type !== undefined && tool.type !== 'custom') {
        throw new UnsupportedParameterError(
          `tools[${index}] (${tool.type})`,
          'llmq',
          serverSideReason,
        );
      }
      const definition: NonNullable<ChatRequest['tools']>[number] = {
        name: tool.name,
        parameters: tool.input_schema,
      };
      if (tool.description !== undefined) definition.description = tool.description;
      if (tool.strict !== undefined) definition.strict = tool.strict;
      if (tool.cache_control) {
        definition.cacheControl = {
          type: 'ephemeral',
          ...(tool.cache_control.ttl ? { ttl: tool.cache_control.ttl } : {}),
        };
      }
      return definition;
    });
  }
  if (body.tool_choice !== undefined) {
    request.toolChoice = convertToolChoice(body.tool_choice);
    if (
      'disable_parallel_tool_use' in body.tool_choice &&
      body.tool_choice.disable_parallel_tool_use === true
    ) {
      request.parallelToolCalls = false;
    }
  }
  const format = body.output_config?.format;
  if (format)
    request.responseFormat = { type: 'json_schema', name: 'response', schema: format.schema };
  const reasoning = convertReasoning(body);
  if (reasoning !== undefined) request.reasoning = reasoning;
  return { model: body.model, stream: body.stream === true, request };
}
