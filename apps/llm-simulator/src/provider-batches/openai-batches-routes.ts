import { z } from 'zod';
import { randomIdSuffix } from '../model-call/create-id';
import { describeValidationError } from '../model-call/describe-validation-error';
import type { ModelRoute } from '../model-call/model-route';
import { chatCompletionsRoute } from '../openai/chat-completions-route';
import { completionsRoute } from '../openai/completions-route';
import { embeddingsRoute } from '../openai/embeddings-route';
import { openAiDialect } from '../openai/openai-dialect';
import type { RouteHandler } from '../server/route-handler';
import type { SimulatorState } from '../server/simulator-state';
import { answerBatchLine, type LineOutcome } from './answer-batch-line';
import { type OpenAiBatch, openAiBatchObject } from './openai-batch';
import { parseOpenAiBatchInput } from './parse-openai-batch-input';
import { notFound, pathSegment, providerRoute } from './provider-route';
import { readJsonBody } from './read-json-body';
import type { BatchLine } from './simulated-batch';

export const BATCHES_PATH = '/v1/batches';

/** The endpoints a simulated batch may target, and the model route answering its lines. */
const LINE_ROUTES: Record<string, (line: BatchLine, context: LineRunContext) => LineOutcome> = {
  '/v1/chat/completions': (line, context) => run(chatCompletionsRoute, line, context),
  '/v1/completions': (line, context) => run(completionsRoute, line, context),
  '/v1/embeddings': (line, context) => run(embeddingsRoute, line, context),
};

interface LineRunContext {
  state: SimulatorState;
  batchId: string;
  failureRate: number;
}

function run<Request extends { model: string }>(
  route: ModelRoute<Request>,
  line: BatchLine,
  { state, batchId, failureRate }: LineRunContext,
): LineOutcome {
  return answerBatchLine(route, line.body, {
    profiles: state.profiles,
    promptCache: state.promptCache,
    failureRate,
    seed: `${batchId}\u0000${line.customId}`,
  });
}

const createBatchSchema = z.strictObject({
  input_file_id: z.string().min(1),
  endpoint: z.string(),
  completion_window: z.string(),
  metadata: z.record(z.string(), z.string().max(512)).nullish(),
  output_expires_after: z
    .strictObject({ anchor: z.literal('created_at'), seconds: z.number().int() })
    .optional(),
});

/** `POST /v1/batches`: a batch over an uploaded `purpose: batch` file. */
export const createBatch: RouteHandler = providerRoute(
  openAiDialect,
  async ({ request, state }) => {
    const json = await readJsonBody(request);
    if (!json.ok) return json.answer;
    const parsed = createBatchSchema.safeParse(json.value);
    if (!parsed.success) return { error: describeValidationError(parsed.error, openAiDialect) };
    const body = parsed.data;
    const answerLine = LINE_ROUTES[body.endpoint];
    if (answerLine === undefined) {
      return {
        error: {
          status: 400,
          message: `Invalid value for 'endpoint': '${body.endpoint}'. The simulator supports: ${Object.keys(LINE_ROUTES).join(', ')}.`,
          param: 'endpoint',
          code: 'invalid_value',
        },
      };
    }
    if (body.completion_window !== '24h') {
      return {
        error: {
          status: 400,
          message: `Invalid value for 'completion_window': '${body.completion_window}'. Supported values are: '24h'.`,
          param: 'completion_window',
          code: 'invalid_value',
        },
      };
    }
    const file = state.files.get(body.input_file_id);
    if (file === undefined) return notFound('file', body.input_file_id);
    if (file.purpose !== 'batch') {
      return {
        error: {
          status: 400,
          message: `The file ${file.id} has purpose '${file.purpose}'; a batch needs purpose 'batch'.`,
          param: 'input_file_id',
          code: 'invalid_file_purpose',
        },
      };
    }
    const settings = state.batchSettings;
    const now = state.clock();
    const id = `batch_${randomIdSuffix(24)}`;
    const input = parseOpenAiBatchInput(
      file.content.toString('utf8'),
      body.endpoint,
      settings.maxLines,
    );
    const context: LineRunContext = { state, batchId: id, failureRate: settings.lineFailureRate };
    const batch: OpenAiBatch = {
      id,
      createdAt: now,
      turnaroundMs: settings.turnaroundMs,
      expiresAt: now + settings.expiresAfterMs,
      lines: input.ok ? input.lines : [],
      outcomes: [],
      answer: (line) => answerLine(line, context),
      endpoint: body.endpoint,
      inputFileId: file.id,
      completionWindow: body.completion_window,
      metadata: body.metadata ?? null,
      ...(input.ok ? {} : { inputErrors: input.errors }),
    };
    state.openAiBatches.set(id, batch);
    const status = input.ok ? 'validating' : undefined;
    return { status: 200, json: openAiBatchObject(batch, now, state.files, status) };
  },
);

/** `GET /v1/batches/:id`. */
export const retrieveBatch: RouteHandler = providerRoute(openAiDialect, ({ state, path }) => {
  const id = pathSegment(path, `${BATCHES_PATH}/`);
  const batch = state.openAiBatches.get(id);
  if (batch === undefined) return notFound('batch', id);
  return { status: 200, json: openAiBatchObject(batch, state.clock(), state.files) };
});

/** `POST /v1/batches/:id/cancel`: lines not yet done end cancelled; a finished batch is refused. */
export const cancelBatch: RouteHandler = providerRoute(openAiDialect, ({ state, path }) => {
  const id = pathSegment(path, `${BATCHES_PATH}/`);
  const batch = state.openAiBatches.get(id);
  if (batch === undefined) return notFound('batch', id);
  const now = state.clock();
  const current = openAiBatchObject(batch, now, state.files);
  if (current.status !== 'in_progress') {
    return {
      error: {
        status: 409,
        message: `Cannot cancel a batch with status '${String(current.status)}'.`,
        code: null,
      },
    };
  }
  batch.cancelledAt = now;
  return { status: 200, json: openAiBatchObject(batch, now, state.files, 'cancelling') };
});

/** `GET /v1/batches`: newest first, `after` and `limit` paging as OpenAI's cursor pages. */
export const listBatches: RouteHandler = providerRoute(openAiDialect, ({ request, state }) => {
  const query = new URL(request.url ?? '/', 'http://simulator').searchParams;
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 20) || 20));
  const after = query.get('after');
  const all = [...state.openAiBatches.values()].reverse();
  const start = after === null ? 0 : all.findIndex((batch) => batch.id === after) + 1;
  const page = all.slice(start, start + limit);
  const now = state.clock();
  return {
    status: 200,
    json: {
      object: 'list',
      data: page.map((batch) => openAiBatchObject(batch, now, state.files)),
      first_id: page[0]?.id ?? null,
      last_id: page.at(-1)?.id ?? null,
      has_more: start + limit < all.length,
    },
  };
});
