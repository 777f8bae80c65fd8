import {
  ClientError,
  convertToResponseOutput,
  type OpenAIResponsesRequest,
  parseOutputItemId,
  responseEnd,
  responsesInputItemSchema,
} from '@llmq/core';
import type { StoredResponseLookup } from './stored-response-lookup';

type InputItem = Exclude<NonNullable<OpenAIResponsesRequest['input']>, string>[number];
type OutputItem = ReturnType<typeof convertToResponseOutput>[number];

/**
 * Replaces each `item_reference` of the input by the output item it names (the Vercel AI SDK
 * sends the items of a stored response that way). An output item's id says its response and
 * place (see `outputItemId`), so each referenced response is read once. Reasoning comes back
 * with what sends it to its provider again (Anthropic's signature), asked for or not.
 */
export async function resolveItemReferences(
  body: OpenAIResponsesRequest,
  lookup: StoredResponseLookup,
): Promise<OpenAIResponsesRequest> {
  const input = body.input;
  if (typeof input === 'string' || !input?.some((item) => item.type === 'item_reference'))
    return body;
  const outputs = new Map<string, Promise<OutputItem[]>>();
  const outputOf = (responseId: string) => {
    let output = outputs.get(responseId);
    if (!output) {
      output = lookup(responseId).then((found) => {
        const result = found?.record.status === 'completed' ? found.record.result : undefined;
        if (!found || !result) return [];
        return convertToResponseOutput(result.content ?? [{ type: 'text', text: result.text }], {
          responseId,
          incomplete: responseEnd(result.finish_reason).status === 'incomplete',
          encryptedReasoning: true,
        });
      });
      outputs.set(responseId, output);
    }
    return output;
  };
  const resolved: InputItem[] = [];
  for (const item of input) {
    if (item.type !== 'item_reference') {
      resolved.push(item);
      continue;
    }
    const place = parseOutputItemId(item.id);
    const found = place && (await outputOf(place.responseId))[place.outputIndex];
    if (!found) throw new ClientError('not_found', `Item with id '${item.id}' not found.`);
    // An output item is an input item too; parsed as one, so it is checked as the client's are.
    resolved.push(responsesInputItemSchema.parse(found));
  }
  return { ...body, input: resolved };
}
