import type { RefusedRequest } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import type { ModelCapabilities } from '../profiles/model-profile';
import type { MessagesRequest } from './messages-request-schema';

/**
 * Refuses what Anthropic refuses before looking at the messages: `max_tokens` above the model's
 * most output, tools, thinking, adaptive thinking or an effort on a model without them, a thinking budget that does not fit, thinking with forced tool use or a
 * temperature, a `tool_choice` naming no tool. `undefined` when the request may go on.
 */
export function checkMessagesRequest(
  request: MessagesRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  return (
    checkMaxTokens(request, capabilities) ??
    checkTools(request, capabilities) ??
    checkThinking(request, capabilities) ??
    checkOutputFormat(request, capabilities)
  );
}

function checkMaxTokens(
  request: MessagesRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  const most = capabilities.maxOutputTokens;
  if (most === undefined || request.max_tokens <= most) return undefined;
  return refuse(
    `max_tokens: ${request.max_tokens} > ${most}, which is the maximum allowed number of output tokens for ${request.model}`,
    'max_tokens',
  );
}

function checkOutputFormat(
  request: MessagesRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  if (request.output_config?.format == null || capabilities.jsonSchema) return undefined;
  return refuse(
    `output_config.format: '${request.model}' does not support structured outputs.`,
    'output_config.format',
  );
}

function checkTools(
  request: MessagesRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  const tools = request.tools ?? [];
  if (tools.length > 0 && !capabilities.tools)
    return refuse(`tools: '${request.model}' does not support tool use.`, 'tools');
  const names = new Set<string>();
  for (const tool of tools) {
    if (names.has(tool.name)) return refuse('tools: Tool names must be unique.', 'tools');
    names.add(tool.name);
  }
  const choice = request.tool_choice;
  if (choice !== undefined && choice.type !== 'none' && tools.length === 0)
    return refuse(
      'tool_choice: tool_choice may only be specified while providing tools.',
      'tool_choice',
    );
  if (choice?.type === 'tool' && !names.has(choice.name))
    return refuse(
      `tool_choice.name: Tool '${choice.name}' not found in the provided tools.`,
      'tool_choice',
    );
  return undefined;
}

function checkThinking(
  request: MessagesRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  if (request.output_config?.effort != null && !capabilities.reasoning)
    return refuse(
      `output_config.effort: '${request.model}' does not support the effort parameter.`,
      'output_config.effort',
    );
  const thinking = request.thinking;
  if (thinking === undefined || thinking.type === 'disabled') return undefined;
  if (!capabilities.reasoning)
    return refuse(`thinking: '${request.model}' does not support thinking.`, 'thinking');
  if (thinking.type === 'adaptive' && !capabilities.adaptiveThinking)
    return refuse('adaptive thinking is not supported on this model', 'thinking');
  if (thinking.type === 'enabled' && thinking.budget_tokens >= request.max_tokens)
    return refuse('`max_tokens` must be greater than `thinking.budget_tokens`.', 'max_tokens');
  if (request.temperature !== undefined && request.temperature !== 1)
    return refuse('`temperature` may only be set to 1 when thinking is enabled.', 'temperature');
  if (request.top_k !== undefined)
    return refuse('`top_k` must be unset when thinking is enabled.', 'top_k');
  const forced = request.tool_choice?.type;
  if (forced === 'any' || forced === 'tool')
    return refuse('Thinking may not be enabled when tool_choice forces tool use.', 'tool_choice');
  return undefined;
}
