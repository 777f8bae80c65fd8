import { ClientError } from '../errors/client-error';
import type { ToolChoice, ToolDefinition } from '../messages/tool-definition';

/**
 * OpenAI's `tool_choice: {type: "allowed_tools", mode, tools}` (Chat Completions and
 * Responses) in the neutral model: only the tools it names are sent, with its mode (`auto` or
 * `required`) as the choice. Every provider can honour that, since the model is only shown the
 * tools it may call. A name not among the request's tools is refused, at `parameterOf(index)`.
 */
export function restrictToAllowedTools(
  tools: readonly ToolDefinition[] | undefined,
  allowed: { mode: 'auto' | 'required'; names: readonly string[] },
  parameterOf: (index: number) => string,
): { toolChoice: ToolChoice; tools: ToolDefinition[] } {
  allowed.names.forEach((name, index) => {
    if (tools?.some((tool) => tool.name === name)) return;
    const parameter = parameterOf(index);
    throw new ClientError('invalid_request', `"${parameter}": "${name}" is not in "tools"`, {
      parameter,
    });
  });
  return {
    toolChoice: allowed.mode,
    tools: (tools ?? []).filter((tool) => allowed.names.includes(tool.name)),
  };
}
