import { z } from 'zod';
import {
  chatRequestOfTurn,
  convertOpenAIResponsesRequest,
} from '../dialects/openai-responses/convert-openai-responses-request';
import { openAIResponsesRequestSchema } from '../dialects/openai-responses/openai-responses-request-schema';
import type { ResponseSettings } from '../dialects/openai-responses/response-settings';
import { isClientError } from '../errors/client-error';
import type { NormalizedRequest } from '../jobs/job-request';
import { chatRequestSchema } from '../messages/chat-request';
import { isUnsupportedParameterError } from '../messages/unsupported-parameter-error';

/** A `/v1/responses` batch line's body, read: its model, neutral request and echoed settings. */
export interface ResponsesLine {
  model: string;
  line: { request: NormalizedRequest; responses: ResponseSettings };
}

/**
 * What a batch line cannot ask of the Responses API: a line is one request answered in the
 * output file, so it neither streams nor runs in the background, and batch lines are not stored
 * responses, so it cannot continue one.
 */
const refusedInBatch = ['stream', 'background', 'previous_response_id'] as const;

function issue(path: string, message: string, input: unknown): z.ZodError {
  return new z.ZodError([{ code: 'custom', path: path === '' ? [] : [path], message, input }]);
}

/**
 * Reads a `/v1/responses` line's body with the openai-responses dialect, as `POST /v1/responses`
 * reads a request: every field carried into the neutral request or refused by name.
 */
export function readResponsesLine(body: unknown): ResponsesLine | z.ZodError {
  const parsed = openAIResponsesRequestSchema.safeParse(body);
  if (!parsed.success) return parsed.error;
  for (const field of refusedInBatch) {
    const value = parsed.data[field];
    if (value != null && value !== false)
      return issue(field, `"${field}" is not supported in a batch line`, body);
  }
  try {
    const call = convertOpenAIResponsesRequest(parsed.data);
    const request = chatRequestOfTurn(call);
    // The neutral model's own rules (name patterns, id lengths), which the worker parses the
    // line with: refused here, naming the field, rather than a line failed when it runs.
    const checked = chatRequestSchema.safeParse(request);
    if (!checked.success) return checked.error;
    return {
      model: parsed.data.model,
      line: { request, responses: { ...call.settings, store: false } },
    };
  } catch (error) {
    if (isUnsupportedParameterError(error) || isClientError(error))
      return issue('', error.message, body);
    throw error;
  }
}
