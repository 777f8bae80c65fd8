import { z } from 'zod';

/**
 * Events a webhook can subscribe to. `batch.completed` goes to the tenant's subscribed
 * endpoints when a batch completes (not when it is cancelled, expires or fails validation).
 * `job.initial` and `job.upgraded` are a speculative job's two answers (opt-in: the default
 * stays `job.completed` and `job.failed`).
 */
export const webhookEventTypeSchema = z.enum([
  'job.completed',
  'job.failed',
  'job.initial',
  'job.upgraded',
  'batch.completed',
]);
export type WebhookEventType = z.infer<typeof webhookEventTypeSchema>;

/** Events a single job's own webhook may ask for. */
export const jobWebhookEventTypeSchema = z.enum([
  'job.completed',
  'job.failed',
  'job.initial',
  'job.upgraded',
]);

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

/** Body of `POST /v1/webhook-endpoints`: a tenant's default endpoint for every job. */
export const webhookEndpointRequestSchema = z
  .object({
    url: webhookUrlSchema,
    events: z
      .array(webhookEventTypeSchema)
      .min(1)
      .default(['job.completed', 'job.failed'])
      .transform((events) => [...new Set(events)]),
    description: z.string().max(256).optional(),
  })
  .strict();
export type WebhookEndpointRequest = z.infer<typeof webhookEndpointRequestSchema>;

/** What a webhook body looks like: `{ type, timestamp, data }` (data is the job as polled). */
export interface WebhookPayload<T = unknown> {
  type: WebhookEventType;
  /** ISO time the event happened (the job's end). */
  timestamp: string;
  data: T;
}

/** The event of a job's outbox entry (a status it ended with, or a speculative stage), if any. */
export function eventForJobStatus(status: string): WebhookEventType | undefined {
  if (status === 'completed') return 'job.completed';
  if (status === 'failed') return 'job.failed';
  if (status === 'initial') return 'job.initial';
  if (status === 'upgraded') return 'job.upgraded';
  return undefined;
}
