import { z } from 'zod';

/**
 * Events of llmq's own webhook format. Batch events go to the tenant's subscribed endpoints
 * when a batch ends: `batch.completed`, `batch.failed` (its input file was invalid, or its ingest gave up),
 * `batch.expired` (its completion window ended), `batch.cancelled`. `job.initial` and
 * `job.upgraded` are a speculative job's two answers. Endpoints get `job.completed` and
 * `job.failed` unless they list others.
 */
export const webhookEventTypeSchema = z.enum([
  'job.completed',
  'job.failed',
  'job.initial',
  'job.upgraded',
  'batch.completed',
  'batch.failed',
  'batch.expired',
  'batch.cancelled',
]);
export type WebhookEventType = z.infer<typeof webhookEventTypeSchema>;

/**
 * Events of OpenAI's webhook format (`format: "openai"` endpoints), named as OpenAI names them:
 * `response.*` for jobs submitted through `/v1/responses`, `batch.*` for batches. An OpenAI
 * endpoint gets all eight unless it lists some.
 */
export const openAiWebhookEventTypeSchema = z.enum([
  'response.completed',
  'response.failed',
  'response.cancelled',
  'response.incomplete',
  'batch.completed',
  'batch.failed',
  'batch.expired',
  'batch.cancelled',
]);
export type OpenAiWebhookEventType = z.infer<typeof openAiWebhookEventTypeSchema>;

/** Every event a delivery can carry, in either format (the batch events share their names). */
export const webhookDeliveryEventSchema = z.enum([
  ...webhookEventTypeSchema.options,
  'response.completed',
  'response.failed',
  'response.cancelled',
  'response.incomplete',
]);
export type WebhookDeliveryEvent = z.infer<typeof webhookDeliveryEventSchema>;

/**
 * The body format an endpoint receives: `llmq` (default: `{type, timestamp, data}` with the
 * whole job or batch) or `openai` (OpenAI's `{id, object: "event", created_at, type, data:
 * {id}}`, which openai-node's `client.webhooks.unwrap()` verifies and parses).
 */
export const webhookFormatSchema = z.enum(['llmq', 'openai']);
export type WebhookFormat = z.infer<typeof webhookFormatSchema>;

/** Events a single job's own webhook may ask for. */
export const jobWebhookEventTypeSchema = z.enum([
  'job.completed',
  'job.failed',
  'job.initial',
  'job.upgraded',
]);
export type JobWebhookEventType = z.infer<typeof jobWebhookEventTypeSchema>;

const webhookUrlSchema = z
  .string()
  .min(1)
  .max(2048)
  .refine((value) => URL.canParse(value), { message: 'must be an absolute URL' });

/**
 * `webhook` on `POST /v1/jobs`: where to post the job's end, and for which events
 * (default both). Signed with the tenant's signing secret (`GET /v1/webhook-secret`).
 */
export const jobWebhookSchema = z
  .object({
    url: webhookUrlSchema,
    events: z
      .array(jobWebhookEventTypeSchema)
      .min(1)
      .default(['job.completed', 'job.failed'])
      .transform((events) => [...new Set(events)]),
  })
  .strict();
export type JobWebhook = z.infer<typeof jobWebhookSchema>;

const defaultEndpointEvents: Record<WebhookFormat, readonly WebhookDeliveryEvent[]> = {
  llmq: ['job.completed', 'job.failed'],
  openai: openAiWebhookEventTypeSchema.options,
};

/**
 * Body of `POST /v1/webhook-endpoints`: a tenant's default endpoint for every job (and batch).
 * `events` must belong to the endpoint's `format`; its default depends on the format.
 */
export const webhookEndpointRequestSchema = z
  .object({
    url: webhookUrlSchema,
    format: webhookFormatSchema
      .default('llmq')
      .describe(
        "`llmq` (default): llmq's body with the whole job or batch. `openai`: OpenAI's event body, which openai-node's `client.webhooks.unwrap()` verifies with the endpoint's secret.",
      ),
    events: z
      .array(webhookDeliveryEventSchema)
      .min(1)
      .optional()
      .describe(
        'Events of the format to receive. llmq: `job.*` and `batch.*` (default `job.completed`, `job.failed`); openai: `response.*` and `batch.*` (default all eight).',
      ),
    description: z.string().max(256).optional(),
  })
  .strict()
  .superRefine((body, context) => {
    const allowed: readonly string[] =
      body.format === 'openai'
        ? openAiWebhookEventTypeSchema.options
        : webhookEventTypeSchema.options;
    body.events?.forEach((event, index) => {
      if (!allowed.includes(event))
        context.addIssue({
          code: 'custom',
          path: ['events', index],
          message: `${event} is not an event of the ${body.format} format (one of ${allowed.join(', ')})`,
        });
    });
  })
  .transform((body) => ({
    ...body,
    events: [...new Set(body.events ?? defaultEndpointEvents[body.format])],
  }));
export type WebhookEndpointRequest = z.infer<typeof webhookEndpointRequestSchema>;

/** What a webhook body looks like: `{ type, timestamp, data }` (data is the job as polled). */
export interface WebhookPayload<T = unknown> {
  type: WebhookEventType;
  /** ISO time the event happened (the job's end). */
  timestamp: string;
  data: T;
}

/** The event of a job's outbox entry (a status it ended with, or a speculative stage), if any. */
export function eventForJobStatus(status: string): JobWebhookEventType | undefined {
  if (status === 'completed') return 'job.completed';
  if (status === 'failed') return 'job.failed';
  if (status === 'initial') return 'job.initial';
  if (status === 'upgraded') return 'job.upgraded';
  return undefined;
}

/** The event of a batch's outbox entry (the status it ended with), in either format. */
export function eventForBatchStatus(
  status: string,
): 'batch.completed' | 'batch.failed' | 'batch.expired' | 'batch.cancelled' | undefined {
  if (status === 'completed') return 'batch.completed';
  if (status === 'failed') return 'batch.failed';
  if (status === 'expired') return 'batch.expired';
  if (status === 'cancelled') return 'batch.cancelled';
  return undefined;
}
