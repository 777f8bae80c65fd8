import { z } from 'zod';

/**
 * Events a webhook can subscribe to. `batch.completed` goes to the tenant's subscribed
 * endpoints when a batch completes (not when it is cancelled, expires or fails validation).
 */
export const webhookEventTypeSchema = z.enum(['job.completed', 'job.failed', 'batch.completed']);
export type WebhookEventType = z.infer<typeof webhookEventTypeSchema>;

/** Events a single job's own webhook may ask for. */
export const jobWebhookEventTypeSchema = z.enum(['job.completed', 'job.failed']);

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

/** The event a job status ends with, if it has one. */
export function eventForJobStatus(status: string): WebhookEventType | undefined {
  if (status === 'completed') return 'job.completed';
  if (status === 'failed') return 'job.failed';
  return undefined;
}
