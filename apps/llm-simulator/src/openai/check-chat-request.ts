import { strictSchemaViolation } from '../json-schema/check-strict-schema';
import type { RefusedRequest } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import type { ModelCapabilities } from '../profiles/model-profile';
import type { ChatCompletionRequest } from './chat-completions-request-schema';

/**
 * Refuses what OpenAI refuses before looking at the messages: an output limit above the
 * model's most, parameters the model cannot take
 * (named in `param`, code `unsupported_parameter`/`unsupported_value`), and tool fields that do
 * not fit together. `undefined` when the request may go on.
 */
export function checkChatRequest(
  request: ChatCompletionRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  return (
    checkMaxTokens(request, capabilities) ??
    checkCapabilities(request, capabilities) ??
    checkSeedField(request, capabilities) ??
    checkReasoningModel(request, capabilities) ??
    checkTools(request) ??
    checkToolCallIds(request, capabilities) ??
    checkStrictSchemas(request)
  );
}

/**
 * OpenAI's refusal of an output limit above the model's most completion tokens, naming the
 * field sent (`max_completion_tokens` wins when both are).
 */
function checkMaxTokens(
  request: ChatCompletionRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  const most = capabilities.maxOutputTokens;
  const field = request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
  const limit = request[field];
  if (most === undefined || limit == null || limit <= most) return undefined;
  return refuse(
    `${field} is too large: ${limit}. This model supports at most ${most} completion tokens, whereas you provided ${limit}.`,
    field,
    'invalid_value',
  );
}

/**
 * The seed under the model's name for it: Mistral's API takes `random_seed` and refuses `seed`
 * as it refuses any field it does not know (pydantic's `extra_forbidden`, status 422, whatever
 * the value, null included); OpenAI refuses `random_seed` as an unrecognized argument.
 */
function checkSeedField(
  request: ChatCompletionRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  if (capabilities.seedField === 'seed') {
    if (request.random_seed === undefined) return undefined;
    return refuse('Unrecognized request argument supplied: random_seed', null);
  }
  if (request.seed === undefined) return undefined;
  return { refused: mistralExtraForbidden('seed', request.seed) };
}

/** Mistral's answer to a body field it does not know. */
function mistralExtraForbidden(field: string, input: unknown) {
  const message = 'Extra inputs are not permitted';
  return {
    status: 422,
    message: `${field}: ${message}`,
    param: null,
    body: {
      object: 'error',
      message: {
        detail: [{ type: 'extra_forbidden', loc: ['body', field], msg: message, input }],
      },
      type: 'invalid_request_error',
      param: null,
      code: null,
    },
  };
}

const ALPHANUMERIC_9 = /^[a-zA-Z0-9]{9}$/;
/** OpenAI's longest tool call id in a conversation. */
const OPENAI_MAX_TOOL_CALL_ID = 40;

/**
 * The conversation's tool call ids under the model's rule: OpenAI's (`any`), at most 40
 * characters, refused above that with `string_above_max_length` naming the field; Mistral's
 * (`alphanumeric-9`), every id 9 letters or digits.
 */
function checkToolCallIds(
  request: ChatCompletionRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  if (capabilities.toolCallIds === 'any') return checkToolCallIdLengths(request);
  for (const message of request.messages) {
    const ids =
      message.role === 'assistant'
        ? (message.tool_calls ?? []).map((call) => call.id)
        : message.role === 'tool'
          ? [message.tool_call_id]
          : [];
    const bad = ids.find((id) => !ALPHANUMERIC_9.test(id));
    if (bad !== undefined)
      return refuse(`Tool call id was ${bad} but must be a-z, A-Z, 0-9, with a length of 9.`, null);
  }
  return undefined;
}

function checkToolCallIdLengths(request: ChatCompletionRequest): RefusedRequest | undefined {
  for (const [index, message] of request.messages.entries()) {
    const ids: Array<[string, string]> =
      message.role === 'assistant'
        ? (message.tool_calls ?? []).map((call, position) => [
            `messages[${index}].tool_calls[${position}].id`,
            call.id,
          ])
        : message.role === 'tool'
          ? [[`messages[${index}].tool_call_id`, message.tool_call_id]]
          : [];
    for (const [param, id] of ids)
      if (id.length > OPENAI_MAX_TOOL_CALL_ID)
        return refuse(
          `Invalid '${param}': string too long. Expected a string with maximum length ${OPENAI_MAX_TOOL_CALL_ID}, but got a string with length ${id.length} instead.`,
          param,
          'string_above_max_length',
        );
  }
  return undefined;
}

const EMPTY_STRICT_OBJECT = {
  type: 'object',
  properties: {},
  required: [],
  additionalProperties: false,
};

/** Strict schemas (`strict: true`) must follow OpenAI's structured-output rules. */
function checkStrictSchemas(request: ChatCompletionRequest): RefusedRequest | undefined {
  for (const [index, tool] of (request.tools ?? []).entries()) {
    if (tool.function.strict !== true) continue;
    // A strict tool without parameters takes none: an empty closed object.
    const violation = strictSchemaViolation(tool.function.parameters ?? EMPTY_STRICT_OBJECT);
    if (violation !== undefined)
      return refuse(
        `Invalid schema for function '${tool.function.name}': ${violation}`,
        `tools[${index}].function.parameters`,
        'invalid_function_parameters',
      );
  }
  const format = request.response_format;
  if (format?.type !== 'json_schema' || format.json_schema.strict !== true) return undefined;
  const violation = strictSchemaViolation(format.json_schema.schema ?? EMPTY_STRICT_OBJECT);
  if (violation === undefined) return undefined;
  return refuse(
    `Invalid schema for response_format '${format.json_schema.name}': ${violation}`,
    'response_format',
  );
}

function unsupported(param: string): RefusedRequest {
  return refuse(
    `Unsupported parameter: '${param}' is not supported with this model.`,
    param,
    'unsupported_parameter',
  );
}

function checkCapabilities(
  request: ChatCompletionRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  if (!capabilities.tools && request.tools !== undefined && request.tools.length > 0)
    return unsupported('tools');
  const format = request.response_format?.type;
  if (!capabilities.jsonSchema && (format === 'json_schema' || format === 'json_object'))
    return unsupported('response_format');
  if (!capabilities.reasoning && request.reasoning_effort != null)
    return unsupported('reasoning_effort');
  if (!capabilities.parallelToolCalls && request.parallel_tool_calls !== undefined)
    return unsupported('parallel_tool_calls');
  if (request.modalities?.includes('audio'))
    return refuse(
      "This model does not support the 'audio' modality.",
      'modalities',
      'unsupported_value',
    );
  return undefined;
}

/** o-series rules: `max_completion_tokens` instead of `max_tokens`, default sampling only, no penalties. */
function checkReasoningModel(
  request: ChatCompletionRequest,
  capabilities: ModelCapabilities,
): RefusedRequest | undefined {
  if (!capabilities.reasoning) return undefined;
  if (request.max_tokens != null)
    return refuse(
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      'max_tokens',
      'unsupported_parameter',
    );
  for (const param of ['temperature', 'top_p'] as const) {
    const value = request[param];
    if (value != null && value !== 1)
      return refuse(
        `Unsupported value: '${param}' does not support ${value} with this model. Only the default (1) value is supported.`,
        param,
        'unsupported_value',
      );
  }
  for (const param of ['presence_penalty', 'frequency_penalty'] as const) {
    const value = request[param];
    if (value != null && value !== 0) return unsupported(param);
  }
  if (request.logprobs === true) return unsupported('logprobs');
  return undefined;
}

function checkTools(request: ChatCompletionRequest): RefusedRequest | undefined {
  const tools = request.tools ?? [];
  if (tools.length === 0) {
    if (request.tool_choice !== undefined)
      return refuse(
        "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
        'tool_choice',
      );
    if (request.parallel_tool_calls !== undefined)
      return refuse(
        "Invalid value for 'parallel_tool_calls': 'parallel_tool_calls' is only allowed when 'tools' are specified.",
        'parallel_tool_calls',
      );
    return undefined;
  }
  const names = new Set<string>();
  for (const [index, tool] of tools.entries()) {
    if (names.has(tool.function.name))
      return refuse(
        `Invalid 'tools': duplicate function name '${tool.function.name}'.`,
        `tools[${index}].function.name`,
      );
    names.add(tool.function.name);
  }
  const choice = request.tool_choice;
  if (typeof choice === 'object' && !names.has(choice.function.name))
    return refuse(
      `Invalid value for 'tool_choice': no function named '${choice.function.name}' was specified in the 'tools' parameter.`,
      'tool_choice',
    );
  return undefined;
}
