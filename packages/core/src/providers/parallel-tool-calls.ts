import type { ChatRequest } from '../messages/chat-request';

/**
 * The `parallelToolCalls` an adapter sends: the request's own, or false when it prefers one
 * tool call per turn (`preferOneToolCall`), has tools to call, and the model can be asked
 * (`canAsk`: its adapter has the switch and its server does not refuse it).
 */
export function parallelToolCallsToSend(
  request: Pick<ChatRequest, 'parallelToolCalls' | 'preferOneToolCall' | 'tools'>,
  canAsk: boolean,
): boolean | undefined {
  if (request.parallelToolCalls !== undefined) return request.parallelToolCalls;
  if (request.preferOneToolCall && canAsk && (request.tools?.length ?? 0) > 0) return false;
  return undefined;
}
