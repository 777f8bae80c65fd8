import { z } from 'zod';
import type { CatalogEndpoint, ModelCatalog } from '../catalog/model-catalog';
import { anthropicMessagesRequestSchema } from '../dialects/anthropic-messages/anthropic-messages-request-schema';
import { convertAnthropicMessagesRequest } from '../dialects/anthropic-messages/convert-anthropic-messages-request';
import { openaiChatMaxTokens } from '../dialects/openai-chat/openai-chat-max-tokens';
import type { ResponseSettings } from '../dialects/openai-responses/response-settings';
import { isClientError } from '../errors/client-error';
import {
  type JobRequest,
  jobRequestSchema,
  type NormalizedRequest,
  readJobRequest,
} from '../jobs/job-request';
import { jsonDepthExceeds, maxJsonDepth } from '../jobs/json-depth';
import { chatRequestSchema } from '../messages/chat-request';
import { isUnsupportedParameterError } from '../messages/unsupported-parameter-error';
import type { RoutingRequirements } from '../routing/route-request';
import type { BatchEndpoint } from './batch-record';
import { refusedLineField } from './chat-line-fields';
import {
  type CompletionsLineBody,
  type CompletionsLineRequest,
  completionsLineBodySchema,
  normalizeCompletionsLine,
} from './completions-line-request';
import {
  type EmbeddingsLineBody,
  type EmbeddingsLineRequest,
  embeddingsLineBodySchema,
  normalizeEmbeddingsLine,
} from './embeddings-line-request';
import { readResponsesLine } from './responses-line-request';

/** Closed set of codes a bad input line or file is reported with in a batch's `errors`. */
export const batchLineErrorCodeSchema = z.enum([
  'invalid_json_line',
  'missing_custom_id',
  'duplicate_custom_id',
  'invalid_method',
  'invalid_url',
  'invalid_body',
  'unknown_model',
  'unsupported_model',
  'empty_file',
  'too_many_lines',
  'too_many_errors',
]);
export type BatchLineErrorCode = z.infer<typeof batchLineErrorCodeSchema>;

/**
 * A valid line, ready to queue: its fields are the line's job data (besides the batch's).
 * Chat lines carry no `endpoint` (their jobs predate the other endpoints).
 */
export type ParsedBatchLine =
  | {
      customId: string;
      /** Catalog model id (alias resolved), or `auto`: the line is routed when it runs. */
      model: string;
      request: NormalizedRequest;
      /** The line's routing fields, carried to its routing as a job's are. */
      requirements?: RoutingRequirements;
      fallbacks?: boolean;
      /** `/v1/messages`: a Message Batch's line, answered as an Anthropic message. */
      endpoint?: '/v1/messages';
      /** A `/v1/responses` line: what its output `response` echoes (see `toResponseBody`). */
      responses?: ResponseSettings;
      /** A chat line with OpenAI's legacy `functions`: its answer is written in their shape. */
      legacyFunctions?: true;
      /**
       * A chat line whose output limit came in `max_completion_tokens`: the field a refusal
       * of the limit names (absent: `max_tokens`).
       */
      maxTokensField?: 'max_completion_tokens';
    }
  | {
      customId: string;
      model: string;
      endpoint: '/v1/embeddings';
      embedding: EmbeddingsLineRequest;
    }
  | {
      customId: string;
      model: string;
      endpoint: '/v1/completions';
      completion: CompletionsLineRequest;
    };

/** The model name that asks for routing; a chat line may use it. */
const autoModel = 'auto';

/** The catalog's name for what each batch endpoint needs a model to serve. */
const catalogEndpointOf: Record<BatchEndpoint, CatalogEndpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completions',
  '/v1/embeddings': 'embeddings',
  '/v1/messages': 'chat',
  '/v1/responses': 'chat',
};

export type ParseBatchLineResult =
  | { ok: true; line: ParsedBatchLine }
  | { ok: false; code: BatchLineErrorCode; message: string; param: string | null };

export interface ParseBatchLineContext {
  endpoint: BatchEndpoint;
  catalog: ModelCatalog;
  defaultModel: string;
  /** custom_ids seen so far in this file; a valid line adds its own. */
  seenCustomIds: Set<string>;
}

/**
 * A chat line's body with its output limit in `max_tokens`, the job schema's field, read as
 * the sync endpoint reads it (`openaiChatMaxTokens`: `max_completion_tokens` is the same limit;
 * both set throws its `ClientError`), with the field it came in when not `max_tokens`.
 */
function withMaxTokens(body: Record<string, unknown>): {
  body: Record<string, unknown>;
  maxTokensField?: 'max_completion_tokens';
} {
  const limit = openaiChatMaxTokens(body);
  const { max_completion_tokens: _limit, ...rest } = body;
  if (limit?.field !== 'max_completion_tokens') return { body: rest };
  return {
    body: { ...rest, max_tokens: limit.maxTokens },
    maxTokensField: 'max_completion_tokens',
  };
}

function fail(
  code: BatchLineErrorCode,
  message: string,
  param: string | null = null,
): ParseBatchLineResult {
  return { ok: false, code, message, param };
}

/**
 * Validates one JSONL line of a batch input file (`{custom_id, method, url, body}`) against
 * the batch's endpoint and the job schema, as OpenAI's `validating` step does.
 */
export function parseBatchLine(text: string, context: ParseBatchLineContext): ParseBatchLineResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('invalid_json_line', 'the line is not valid JSON');
  }
  return parseBatchLineValue(value, context);
}

/** {@link parseBatchLine} of a line already read from JSON. */
export function parseBatchLineValue(
  value: unknown,
  context: ParseBatchLineContext,
): ParseBatchLineResult {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return fail('invalid_json_line', 'the line must be a JSON object');
  if (jsonDepthExceeds(value))
    return fail(
      'invalid_json_line',
      `the line nests arrays and objects more than ${maxJsonDepth} levels deep`,
    );
  const { custom_id: customId, method, url, body } = value as Record<string, unknown>;
  if (typeof customId !== 'string' || customId.length === 0 || customId.length > 512)
    return fail(
      'missing_custom_id',
      '"custom_id" must be a string of 1 to 512 characters',
      'custom_id',
    );
  if (context.seenCustomIds.has(customId))
    return fail(
      'duplicate_custom_id',
      `"custom_id" "${customId}" appears more than once`,
      'custom_id',
    );
  if (method !== 'POST') return fail('invalid_method', '"method" must be "POST"', 'method');
  if (url !== context.endpoint)
    return fail('invalid_url', `"url" must be the batch endpoint "${context.endpoint}"`, 'url');
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return fail('invalid_body', '"body" must be a JSON object', 'body');

  const parsed = parseBody(context.endpoint, body as Record<string, unknown>);
  if (!parsed.ok) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.length ? `body.${issue.path.join('.')}` : 'body';
    return fail('invalid_body', `${path}: ${issue?.message ?? 'invalid'}`, path);
  }
  const requestedModel = parsed.model ?? context.defaultModel;
  if (requestedModel === autoModel) {
    // Routed per line when it runs (the worker's routing, as for a prompt job).
    if (context.endpoint !== '/v1/chat/completions')
      return fail(
        'unsupported_model',
        `model "auto" routes chat completions only; name a model for ${context.endpoint}`,
        'body.model',
      );
    context.seenCustomIds.add(customId);
    return { ok: true, line: parsed.toLine(customId, autoModel) };
  }
  const model = context.catalog.resolve(requestedModel);
  if (!model)
    return fail('unknown_model', `model "${requestedModel}" is not in the catalog`, 'body.model');
  const needs = catalogEndpointOf[context.endpoint];
  if (!model.endpoints.includes(needs))
    return fail(
      'unsupported_model',
      `model "${model.id}" does not serve ${context.endpoint} (it serves: ${model.endpoints.join(', ')})`,
      'body.model',
    );

  context.seenCustomIds.add(customId);
  return { ok: true, line: parsed.toLine(customId, model.id) };
}

type ParsedBody =
  | {
      ok: true;
      model: string | undefined;
      toLine: (customId: string, model: string) => ParsedBatchLine;
    }
  | { ok: false; error: z.ZodError };

/** Checks a line's body against the schema of its endpoint. */
function parseBody(endpoint: BatchEndpoint, body: Record<string, unknown>): ParsedBody {
  switch (endpoint) {
    case '/v1/chat/completions': {
      // Before the schema, on the raw body: the schema fills defaults (priority) a line did not
      // set, and a field refused here is refused whatever its value.
      const refused = refusedLineField(body);
      if (refused)
        return {
          ok: false,
          error: new z.ZodError([
            { code: 'custom', path: [refused.field], message: refused.message, input: body },
          ]),
        };
      let limited: ReturnType<typeof withMaxTokens>;
      try {
        limited = withMaxTokens(body);
      } catch (error) {
        if (!isClientError(error)) throw error;
        return {
          ok: false,
          error: new z.ZodError([
            { code: 'custom', path: ['max_tokens'], message: error.message, input: body },
          ]),
        };
      }
      const parsed = jobRequestSchema.safeParse(limited.body);
      if (!parsed.success) return { ok: false, error: parsed.error };
      const read = convertChatBody(parsed.data);
      if (read instanceof z.ZodError) return { ok: false, error: read };
      return {
        ok: true,
        model: parsed.data.model,
        toLine: (customId, model) => ({
          ...chatLine(customId, model, parsed.data, read),
          ...(limited.maxTokensField !== undefined
            ? { maxTokensField: limited.maxTokensField }
            : {}),
        }),
      };
    }
    case '/v1/messages': {
      const converted = convertMessagesBody(body);
      if (converted instanceof z.ZodError) return { ok: false, error: converted };
      return {
        ok: true,
        model: converted.model,
        toLine: (customId, model) => ({ customId, model, request: converted.request, endpoint }),
      };
    }
    case '/v1/embeddings': {
      const parsed = embeddingsLineBodySchema.safeParse(body);
      if (!parsed.success) return { ok: false, error: parsed.error };
      return {
        ok: true,
        model: parsed.data.model,
        toLine: (customId, model) => ({
          customId,
          model,
          endpoint,
          embedding: normalizeEmbeddingsLine(parsed.data),
        }),
      };
    }
    case '/v1/completions': {
      const parsed = completionsLineBodySchema.safeParse(body);
      if (!parsed.success) return { ok: false, error: parsed.error };
      return {
        ok: true,
        model: parsed.data.model,
        toLine: (customId, model) => ({
          customId,
          model,
          endpoint,
          completion: normalizeCompletionsLine(parsed.data),
        }),
      };
    }
    case '/v1/responses': {
      const parsed = readResponsesLine(body);
      if (parsed instanceof z.ZodError) return { ok: false, error: parsed };
      return {
        ok: true,
        model: parsed.model,
        toLine: (customId, model) => ({ customId, model, ...parsed.line }),
      };
    }
    default: {
      const unknown: never = endpoint;
      throw new Error(`unknown batch endpoint ${String(unknown)}`);
    }
  }
}

/**
 * Reads a line that {@link parseBatchLine} already accepted (same bytes, same batch): skips
 * the schema checks, which cost most of the validation time, when queueing lines.
 */
export function readValidatedBatchLine(
  text: string,
  context: Pick<ParseBatchLineContext, 'catalog' | 'defaultModel'> & {
    /** The batch's endpoint; default chat completions. */
    endpoint?: BatchEndpoint;
  },
): ParsedBatchLine {
  const value = JSON.parse(text) as { custom_id: string; body: Record<string, unknown> };
  const endpoint = context.endpoint ?? '/v1/chat/completions';
  if (endpoint === '/v1/embeddings') {
    const body = value.body as EmbeddingsLineBody;
    return {
      customId: value.custom_id,
      model: resolveValidated(context.catalog, body.model, value.custom_id),
      endpoint,
      embedding: normalizeEmbeddingsLine(body),
    };
  }
  if (endpoint === '/v1/completions') {
    const body = value.body as CompletionsLineBody;
    return {
      customId: value.custom_id,
      model: resolveValidated(context.catalog, body.model, value.custom_id),
      endpoint,
      completion: normalizeCompletionsLine(body),
    };
  }
  if (endpoint === '/v1/messages') {
    // The Messages API schema fills nothing in, but its converter needs the parsed types.
    const converted = convertMessagesBody(value.body);
    if (converted instanceof z.ZodError)
      throw new Error(`validated line "${value.custom_id}" no longer converts`);
    return {
      customId: value.custom_id,
      model: resolveValidated(context.catalog, converted.model, value.custom_id),
      request: converted.request,
      endpoint,
    };
  }
  if (endpoint === '/v1/responses') {
    const parsed = readResponsesLine(value.body);
    if (parsed instanceof z.ZodError)
      throw new Error(`validated line "${value.custom_id}" is invalid`);
    return {
      customId: value.custom_id,
      model: resolveValidated(context.catalog, parsed.model, value.custom_id),
      ...parsed.line,
    };
  }
  const limited = withMaxTokens(value.body);
  const body = limited.body as JobRequest;
  const model = resolveValidated(
    context.catalog,
    body.model ?? context.defaultModel,
    value.custom_id,
  );
  return {
    ...chatLine(value.custom_id, model, body),
    ...(limited.maxTokensField !== undefined ? { maxTokensField: limited.maxTokensField } : {}),
  };
}

/**
 * A chat body in the neutral model, or why it cannot be: a part the format cannot carry (a
 * `file_id` file, audio) is refused by name as on `POST /v1/jobs`, never dropped, and so are
 * legacy functions misused (`functions` with `tools`, a function result answering no call).
 */
function convertChatBody(body: JobRequest): ReturnType<typeof readJobRequest> | z.ZodError {
  try {
    return readJobRequest(body);
  } catch (error) {
    if (isUnsupportedParameterError(error))
      return new z.ZodError([{ code: 'custom', path: [], message: error.message, input: body }]);
    if (isClientError(error) && error.code === 'invalid_request') {
      const parameter = (error.details as { parameter?: string } | undefined)?.parameter;
      // `messages[1].name` as a zod path (`messages.1.name`), as the schema's issues name fields.
      const path = (parameter ?? '')
        .split(/[.[\]]/)
        .filter((segment) => segment !== '')
        .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
      return new z.ZodError([{ code: 'custom', path, message: error.message, input: body }]);
    }
    throw error;
  }
}

/**
 * A Messages API body (a Message Batch request's `params`) in the neutral model, by the
 * anthropic-messages dialect as on `POST /v1/messages`; a batch line is never streamed, so
 * `stream: true` is refused, and so is a field the neutral model cannot carry.
 */
export function convertMessagesBody(
  body: unknown,
): { model: string; request: NormalizedRequest } | z.ZodError {
  const parsed = anthropicMessagesRequestSchema.safeParse(body);
  if (!parsed.success) return parsed.error;
  if (parsed.data.stream === true)
    return new z.ZodError([
      {
        code: 'custom',
        path: ['stream'],
        message: 'a batch request is never streamed; leave "stream" out',
        input: body,
      },
    ]);
  try {
    const { model, request } = convertAnthropicMessagesRequest(parsed.data);
    // The Messages schema checks the wire shape; the neutral model has rules of its own (name
    // patterns, id lengths) the worker parses the line with: refused here, naming the field.
    const checked = chatRequestSchema.safeParse(request);
    if (!checked.success) return checked.error;
    return { model, request };
  } catch (error) {
    if (!isUnsupportedParameterError(error)) throw error;
    return new z.ZodError([
      { code: 'custom', path: [error.parameter], message: error.message, input: body },
    ]);
  }
}

/** A chat line: its request converted once, with the fields its routing and answer read. */
function chatLine(
  customId: string,
  model: string,
  body: JobRequest,
  { request, legacyFunctions } = readJobRequest(body),
): ParsedBatchLine {
  return {
    customId,
    model,
    request,
    ...(body.requirements ? { requirements: body.requirements } : {}),
    ...(body.fallbacks !== undefined ? { fallbacks: body.fallbacks } : {}),
    ...(legacyFunctions ? { legacyFunctions: true as const } : {}),
  };
}

function resolveValidated(catalog: ModelCatalog, name: string, customId: string): string {
  if (name === autoModel) return autoModel;
  const model = catalog.resolve(name);
  if (!model) throw new Error(`model of validated line "${customId}" no longer resolves`);
  return model.id;
}
