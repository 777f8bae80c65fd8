import {
  convertOpenAIResponsesRequest,
  type OpenAIResponsesCall,
  openAIResponsesRequestSchema,
  type ResponseInputListItem,
  responseInputItems,
} from '@llmq/core';
import { resolveItemReferences } from './resolve-item-references';
import type { StoredResponseLookup } from './stored-response-lookup';

/** A Responses request read for the queue: the call, and its input items as they are listed. */
export interface ResponsesCreateCall extends OpenAIResponsesCall {
  /** This turn's input items, given ids once the response id is known. */
  inputItems(responseId: string): ResponseInputListItem[];
}

/**
 * Reads `POST /v1/responses` with the openai-responses dialect's schema and converter: every
 * field is carried into the neutral request or refused by name (`unsupported_parameter`).
 * `item_reference` items are replaced by the stored items they name first.
 */
export async function readResponsesRequest(
  body: unknown,
  lookup: StoredResponseLookup,
): Promise<ResponsesCreateCall> {
  const parsed = await resolveItemReferences(openAIResponsesRequestSchema.parse(body), lookup);
  const call = convertOpenAIResponsesRequest(parsed);
  return {
    ...call,
    inputItems: (responseId) => responseInputItems(parsed.input ?? [], responseId),
  };
}
