import type { ModelEntry } from '../catalog/model-catalog';
import type { ChatRequest } from '../messages/chat-request';
import type { ContentPart } from '../messages/content-part';

/**
 * What a request may need of a model, as the catalog's `capabilities` name it:
 * `tools` (tool definitions, or tool calls and results in the conversation), `vision` (image
 * parts), `documents` (PDF parts), `json_schema` (a `json_schema` response format),
 * `json_mode` (a `json_object` response format), `reasoning` (reasoning options, or reasoning
 * parts to send back).
 */
export type RequestCapability =
  | 'tools'
  | 'vision'
  | 'documents'
  | 'json_schema'
  | 'json_mode'
  | 'reasoning';

/** The fields of a request that decide its capabilities (a stored job or a full chat request). */
export type CapabilityInput = Pick<ChatRequest, 'tools' | 'responseFormat' | 'reasoning'> & {
  messages: readonly { content: string | readonly ContentPart[] }[];
};

function addPartCapabilities(part: ContentPart, needed: Set<RequestCapability>): void {
  switch (part.type) {
    case 'image':
      needed.add('vision');
      return;
    case 'document':
      needed.add('documents');
      return;
    case 'tool-call':
      needed.add('tools');
      return;
    case 'tool-result':
      needed.add('tools');
      if (typeof part.content !== 'string')
        for (const inner of part.content) addPartCapabilities(inner, needed);
      return;
    case 'reasoning':
      needed.add('reasoning');
      return;
    case 'text':
      return;
    default: {
      const unreachable: never = part;
      throw new Error(`unknown part ${JSON.stringify(unreachable)}`);
    }
  }
}

/** The capabilities a request needs, in a stable order. Linear in the request's size. */
export function requiredCapabilities(request: CapabilityInput): RequestCapability[] {
  const needed = new Set<RequestCapability>();
  if (request.tools !== undefined && request.tools.length > 0) needed.add('tools');
  if (request.responseFormat?.type === 'json_schema') needed.add('json_schema');
  if (request.responseFormat?.type === 'json_object') needed.add('json_mode');
  if (request.reasoning !== undefined) needed.add('reasoning');
  for (const message of request.messages) {
    if (typeof message.content === 'string') continue;
    for (const part of message.content) addPartCapabilities(part, needed);
  }
  const order: readonly RequestCapability[] = [
    'tools',
    'vision',
    'documents',
    'json_schema',
    'json_mode',
    'reasoning',
  ];
  return order.filter((capability) => needed.has(capability));
}

/** The capabilities a request needs that the catalog model lacks (empty: it can take it). */
export function missingCapabilities(
  entry: Pick<ModelEntry, 'capabilities'>,
  request: CapabilityInput | readonly RequestCapability[],
): RequestCapability[] {
  const needed = Array.isArray(request)
    ? request
    : requiredCapabilities(request as CapabilityInput);
  return needed.filter((capability: RequestCapability) => !entry.capabilities[capability]);
}

/**
 * Capabilities as a refusal names them: `reasoning` with the request fields that ask for it
 * (Anthropic `thinking`, OpenAI `reasoning_effort`), so a client sees which field to drop.
 */
export function describeCapabilities(capabilities: readonly RequestCapability[]): string {
  return capabilities
    .map((capability) =>
      capability === 'reasoning' ? 'reasoning (thinking or a reasoning effort)' : capability,
    )
    .join(', ');
}
