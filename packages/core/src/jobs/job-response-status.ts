import type { JobRecord, JobResult } from './job-record';

/** A Responses API response's `status` (a job seen through `/v1/responses`), as OpenAI's `Response.status` names them. */
export type ResponseStatus =
  | 'queued'
  | 'in_progress'
  | 'completed'
  | 'incomplete'
  | 'failed'
  | 'cancelled';

/** Why a response is `incomplete` (OpenAI's `incomplete_details.reason`). */
export type ResponseIncompleteReason = 'max_output_tokens' | 'content_filter';

/**
 * The one mapping from a job's state to its response's status: a job that completed because
 * it ran out of tokens (finish reason `length`) or was stopped by a content filter is an
 * `incomplete` response, with that reason; every other completed job is `completed`.
 */
export function responseStatusOfJob(job: {
  status: JobRecord['status'];
  result?: Pick<JobResult, 'finish_reason'>;
}): {
  status: ResponseStatus;
  incompleteReason?: ResponseIncompleteReason;
} {
  switch (job.status) {
    case 'queued':
      return { status: 'queued' };
    case 'active':
      return { status: 'in_progress' };
    case 'failed':
      return { status: 'failed' };
    case 'cancelled':
      return { status: 'cancelled' };
    case 'completed': {
      const finishReason = job.result?.finish_reason;
      if (finishReason === 'length')
        return { status: 'incomplete', incompleteReason: 'max_output_tokens' };
      if (finishReason === 'content_filter')
        return { status: 'incomplete', incompleteReason: 'content_filter' };
      return { status: 'completed' };
    }
    default: {
      const unreachable: never = job.status;
      throw new Error(`unknown job status ${String(unreachable)}`);
    }
  }
}
