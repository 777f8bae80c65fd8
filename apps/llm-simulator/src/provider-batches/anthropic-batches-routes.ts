import { z } from 'zod';
import { anthropicDialect } from '../anthropic/anthropic-dialect';
import { messagesRoute } from '../anthropic/messages-route';
import { randomIdSuffix } from '../model-call/create-id';
import { describeValidationError } from '../model-call/describe-validation-error';
import type { RouteHandler } from '../server/route-handler';
import { answerBatchLine } from './answer-batch-line';
import {
  type AnthropicBatch,
  anthropicBatchObject,
  anthropicBatchResults,
} from './anthropic-batch';
import { notFound, type ProviderCall, pathSegment, providerRoute } from './provider-route';
import { readJsonBody } from './read-json-body';

export const MESSAGE_BATCHES_PATH = '/v1/messages/batches';

const createSchema = z.strictObject({
  requests: z
    .array(
      z.strictObject({
        custom_id: z
          .string()
          .regex(/^[a-zA-Z0-9_-]{1,64}$/, 'custom_id must be 1 to 64 letters, digits, _ or -'),
        params: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1),
});

function originOf({ request }: ProviderCall): string {
  return `http://${request.headers.host ?? '127.0.0.1'}`;
}

const formatError = (error: Parameters<typeof anthropicDialect.formatError>[0]) =>
  anthropicDialect.formatError(error, `req_01${randomIdSuffix(22)}`);

/** `POST /v1/messages/batches`: `{requests: [{custom_id, params}]}`; params are checked when each line runs. */
export const createMessageBatch: RouteHandler = providerRoute(anthropicDialect, async (call) => {
  const { request, state } = call;
  const json = await readJsonBody(request);
  if (!json.ok) return json.answer;
  const parsed = createSchema.safeParse(json.value);
  if (!parsed.success) return { error: describeValidationError(parsed.error, anthropicDialect) };
  const { requests } = parsed.data;
  const settings = state.batchSettings;
  if (requests.length > settings.maxLines) {
    return {
      error: {
        status: 400,
        message: `requests: a batch holds at most ${settings.maxLines} requests`,
      },
    };
  }
  const seen = new Set<string>();
  for (const item of requests) {
    if (seen.has(item.custom_id)) {
      return {
        error: { status: 400, message: `requests: duplicate custom_id '${item.custom_id}'` },
      };
    }
    seen.add(item.custom_id);
  }
  const now = state.clock();
  const id = `msgbatch_01${randomIdSuffix(22)}`;
  const batch: AnthropicBatch = {
    id,
    createdAt: now,
    turnaroundMs: settings.turnaroundMs,
    expiresAt: now + settings.expiresAfterMs,
    lines: requests.map((item) => ({ customId: item.custom_id, body: item.params })),
    outcomes: [],
    answer: (line) =>
      answerBatchLine(messagesRoute, line.body, {
        profiles: state.profiles,
        promptCache: state.promptCache,
        failureRate: settings.lineFailureRate,
        seed: `${id}\u0000${line.customId}`,
      }),
  };
  state.anthropicBatches.set(id, batch);
  return { status: 200, json: anthropicBatchObject(batch, now, originOf(call)) };
});

function find(call: ProviderCall): { batch: AnthropicBatch } | { missing: string } {
  const id = pathSegment(call.path, `${MESSAGE_BATCHES_PATH}/`);
  const batch = call.state.anthropicBatches.get(id);
  return batch === undefined ? { missing: id } : { batch };
}

/** `GET /v1/messages/batches/:id`. */
export const retrieveMessageBatch: RouteHandler = providerRoute(anthropicDialect, (call) => {
  const found = find(call);
  if ('missing' in found) return notFound('message batch', found.missing);
  return {
    status: 200,
    json: anthropicBatchObject(found.batch, call.state.clock(), originOf(call)),
  };
});

/** `POST /v1/messages/batches/:id/cancel`: lines not yet done end `canceled`. */
export const cancelMessageBatch: RouteHandler = providerRoute(anthropicDialect, (call) => {
  const found = find(call);
  if ('missing' in found) return notFound('message batch', found.missing);
  const { batch } = found;
  const now = call.state.clock();
  const current = anthropicBatchObject(batch, now, originOf(call));
  if (current.processing_status !== 'in_progress') {
    return {
      error: {
        status: 400,
        message: `Batch ${batch.id} has already ended and cannot be canceled.`,
      },
    };
  }
  batch.cancelledAt = now;
  return { status: 200, json: anthropicBatchObject(batch, now, originOf(call), 'canceling') };
});

/** `GET /v1/messages/batches/:id/results`: the JSONL results, once the batch has ended. */
export const messageBatchResults: RouteHandler = providerRoute(anthropicDialect, (call) => {
  const found = find(call);
  if ('missing' in found) return notFound('message batch', found.missing);
  const results = anthropicBatchResults(found.batch, call.state.clock(), formatError);
  if (results === undefined) {
    return {
      error: {
        status: 400,
        message: `Batch ${found.batch.id} is still processing; results are available once it has ended.`,
      },
    };
  }
  return { status: 200, raw: Buffer.from(results), contentType: 'application/binary' };
});

/** `DELETE /v1/messages/batches/:id`: only an ended batch may be deleted. */
export const deleteMessageBatch: RouteHandler = providerRoute(anthropicDialect, (call) => {
  const found = find(call);
  if ('missing' in found) return notFound('message batch', found.missing);
  const current = anthropicBatchObject(found.batch, call.state.clock(), originOf(call));
  if (current.processing_status !== 'ended') {
    return {
      error: {
        status: 400,
        message: `Batch ${found.batch.id} is still processing; cancel it first.`,
      },
    };
  }
  call.state.anthropicBatches.delete(found.batch.id);
  return { status: 200, json: { id: found.batch.id, type: 'message_batch_deleted' } };
});

/** `GET /v1/messages/batches`: newest first, with `after_id`/`before_id` and `limit`. */
export const listMessageBatches: RouteHandler = providerRoute(anthropicDialect, (call) => {
  const query = new URL(call.request.url ?? '/', 'http://simulator').searchParams;
  const limit = Math.min(1000, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const afterId = query.get('after_id');
  const all = [...call.state.anthropicBatches.values()].reverse();
  const start = afterId === null ? 0 : all.findIndex((batch) => batch.id === afterId) + 1;
  const page = all.slice(start, start + limit);
  const now = call.state.clock();
  return {
    status: 200,
    json: {
      data: page.map((batch) => anthropicBatchObject(batch, now, originOf(call))),
      has_more: start + limit < all.length,
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
    },
  };
});
