import { z } from 'zod';
import type { ModelCatalog } from '../../catalog/model-catalog';
import { ClientError } from '../../errors/client-error';
import type { BatchLimits } from '../batch-limits';
import { parseBatchLineValue } from '../parse-batch-line';

/** Anthropic's own limits on one Message Batch. */
export const anthropicMessageBatchLimits = {
  maxRequests: 100_000,
  maxBodyBytes: 256 * 1024 * 1024,
} as const;

/** What one `POST /v1/messages/batches` may hold: Anthropic's limits, or llmq's batch limits when lower. */
export interface MessageBatchLimits {
  /** Most requests in one batch: 100,000, or `BATCH_MAX_LINES` when lower. */
  maxRequests: number;
  /** Largest request body, bytes: 256 MB, or `BATCH_MAX_FILE_BYTES` when lower. */
  maxBodyBytes: number;
}

export function messageBatchLimitsOf(limits: BatchLimits): MessageBatchLimits {
  return {
    maxRequests: Math.min(anthropicMessageBatchLimits.maxRequests, limits.maxLines),
    maxBodyBytes: Math.min(anthropicMessageBatchLimits.maxBodyBytes, limits.maxFileBytes),
  };
}

/** Anthropic's rule for a request's `custom_id`. */
const customIdPattern = /^[a-zA-Z0-9_-]{1,64}$/;

/** One request of a batch; its `params` are checked by the anthropic-messages dialect below. */
export const messageBatchRequestItemSchema = z
  .object({ custom_id: z.string(), params: z.record(z.string(), z.unknown()) })
  .strict();

/** The body of `POST /v1/messages/batches` (what the API reference shows). */
export const createMessageBatchRequestSchema = z
  .object({ requests: z.array(messageBatchRequestItemSchema).min(1) })
  .strict();
export type CreateMessageBatchRequest = z.infer<typeof createMessageBatchRequestSchema>;

/** The body with its requests not yet looked at: they are read one by one, below. */
const outerBodySchema = z.object({ requests: z.array(z.unknown()).min(1) }).strict();

export interface ReadMessageBatchOptions {
  catalog: ModelCatalog;
  limits: MessageBatchLimits;
}

/** Requests checked between two yields to the event loop. */
const requestsPerTurn = 500;

/**
 * Checks a `POST /v1/messages/batches` body, request by request, as Anthropic does before it
 * accepts a batch: `custom_id` (`^[a-zA-Z0-9_-]{1,64}$`, unique), `params` by the
 * anthropic-messages dialect's schema and converter (as `POST /v1/messages`), a catalog model
 * that serves chat. The first bad request is refused with a 400 naming its index and field
 * (`requests.3.params.max_tokens: …`). Returns the batch's input file: one line per request,
 * `{custom_id, method, url: "/v1/messages", body: params}`, which ingestion reads again.
 * Linear in the body; it yields to the event loop every {@link requestsPerTurn} requests, so
 * a 100,000-request batch (seconds of checking) does not stall the API's other requests.
 */
export async function readMessageBatchRequests(
  body: unknown,
  { catalog, limits }: ReadMessageBatchOptions,
): Promise<string[]> {
  const outer = outerBodySchema.safeParse(body);
  if (!outer.success) throw invalidOf(outer.error, []);
  const { requests } = outer.data;
  if (requests.length > limits.maxRequests)
    throw invalid(
      `requests: a batch holds at most ${limits.maxRequests} requests; this one has ${requests.length}`,
      'requests',
    );
  const context = {
    endpoint: '/v1/messages' as const,
    catalog,
    // Anthropic requires `model`; the default is never used.
    defaultModel: '',
    seenCustomIds: new Set<string>(),
  };
  const lines: string[] = [];
  for (const [index, item] of requests.entries()) {
    if (index > 0 && index % requestsPerTurn === 0)
      await new Promise((resolve) => setImmediate(resolve));
    lines.push(readRequest(item, index, context));
  }
  return lines;
}

/** One request as its input-file line, or the 400 naming what is wrong with it. */
function readRequest(
  item: unknown,
  index: number,
  context: Parameters<typeof parseBatchLineValue>[1],
): string {
  const where = `requests.${index}`;
  const parsed = messageBatchRequestItemSchema.safeParse(item);
  if (!parsed.success) throw invalidOf(parsed.error, [where]);
  const { custom_id: customId, params } = parsed.data;
  if (!customIdPattern.test(customId))
    throw invalid(
      `${where}.custom_id: must be 1 to 64 letters, digits, "_" or "-" (^[a-zA-Z0-9_-]{1,64}$)`,
      `${where}.custom_id`,
    );
  const line = { custom_id: customId, method: 'POST', url: '/v1/messages', body: params };
  const result = parseBatchLineValue(line, context);
  if (!result.ok) {
    // The batch line's names (`body.x`) are the request's (`requests.N.params.x`).
    const param = result.param === null ? where : `${where}.${paramOf(result.param)}`;
    const message = result.message.startsWith('body')
      ? `${where}.params${result.message.slice('body'.length)}`
      : `${param}: ${result.message}`;
    throw invalid(message, param, result.code);
  }
  return JSON.stringify(line);
}

function paramOf(lineParam: string): string {
  return lineParam.startsWith('body') ? `params${lineParam.slice('body'.length)}` : lineParam;
}

/** The 400 of a schema's first issue, its path under `prefix`. */
function invalidOf(error: z.ZodError, prefix: string[]): ClientError {
  const issue = error.issues[0];
  const path = [...prefix, ...(issue?.path ?? []).map(String)].join('.') || 'body';
  return invalid(`${path}: ${issue?.message ?? 'invalid'}`, path);
}

function invalid(message: string, path: string, reason?: string): ClientError {
  return new ClientError('invalid_request', message, {
    issues: [{ path, message }],
    ...(reason ? { reason } : {}),
  });
}
