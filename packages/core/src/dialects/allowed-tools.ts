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
  // Sets, so the check stays linear in the request's size however many tools it lists.
  const defined = new Set(tools?.map((tool) => tool.name));
  allowed.names.forEach((name, index) => {
    if (defined.has(name)) return;
    const parameter = parameterOf(index);
    throw new ClientError('invalid_request', `"${parameter}": "${name}" is not in "tools"`, {
      parameter,
    });
  });
  const names = new Set(allowed.names);
  return {
    toolChoice: allowed.mode,
    tools: (tools ?? []).filter((tool) => names.has(tool.name)),
  };
}
