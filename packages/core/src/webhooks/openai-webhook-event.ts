import type { JobRecord, JobResult } from '../jobs/job-record';
import { responseStatusOfJob } from '../jobs/job-response-status';
import type { OpenAiWebhookEventType } from './webhook-event';

/**
 * The body of a webhook in OpenAI's format, as openai-node's `UnwrapWebhookEvent` types it:
 * `data.id` is the response (`resp_…`) or batch (`batch_…`) the event is about.
 */
export interface OpenAiWebhookBody {
  /** `evt_…`, the same on every attempt and replay of the event. */
  id: string;
  object: 'event';
  /** Unix seconds the event happened (the job's or batch's end). */
  created_at: number;
  type: OpenAiWebhookEventType;
  data: { id: string };
}

/**
 * The `response.*` event of a job's outbox entry, for a job submitted through `/v1/responses`
 * (`surface: 'responses'`): its end status mapped as the response's status is
 * ({@link responseStatusOfJob}), so a job cut short by `max_output_tokens` or a content
 * filter is `response.incomplete`. Undefined for other jobs and for speculative stages.
 */
export function openAiEventForJob(
  status: string,
  job: { surface?: JobRecord['surface']; result?: Pick<JobResult, 'finish_reason'> },
): OpenAiWebhookEventType | undefined {
  if (job.surface !== 'responses') return undefined;
  if (status !== 'completed' && status !== 'failed' && status !== 'cancelled') return undefined;
  const response = responseStatusOfJob({ status, result: job.result });
  switch (response.status) {
    case 'completed':
      return 'response.completed';
    case 'incomplete':
      return 'response.incomplete';
    case 'failed':
      return 'response.failed';
    case 'cancelled':
      return 'response.cancelled';
    case 'queued':
    case 'in_progress':
      return undefined;
    default: {
      const unreachable: never = response.status;
      throw new Error(`unknown response status ${String(unreachable)}`);
    }
  }
}

/** OpenAI's event body; `createdAt` in epoch ms. */
export function openAiWebhookBody(options: {
  eventId: string;
  type: OpenAiWebhookEventType;
  createdAt: number;
  subjectId: string;
}): OpenAiWebhookBody {
  return {
    id: options.eventId,
    object: 'event',
    created_at: Math.floor(options.createdAt / 1000),
    type: options.type,
    data: { id: options.subjectId },
  };
}
