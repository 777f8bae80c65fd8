import {
  type ResponseFacts,
  responseEnd,
} from '../dialects/openai-responses/convert-to-openai-response';
import type { JobRecord, JobResult } from './job-record';

/**
 * The one mapping from a job's state to its response's status (a job seen through
 * `/v1/responses`): a completed job ends as {@link responseEnd} says, `incomplete` with its
 * reason when it ran out of tokens or was stopped by a content filter.
 */
export function responseStatusOfJob(job: {
  status: JobRecord['status'];
  result?: Pick<JobResult, 'finish_reason'>;
}): Pick<ResponseFacts, 'status' | 'incompleteReason'> {
  switch (job.status) {
    case 'queued':
      return { status: 'queued' };
    case 'active':
      return { status: 'in_progress' };
    case 'failed':
      return { status: 'failed' };
    case 'cancelled':
      return { status: 'cancelled' };
    case 'completed':
      return job.result ? responseEnd(job.result.finish_reason) : { status: 'in_progress' };
    default: {
      const unreachable: never = job.status;
      throw new Error(`unknown job status ${String(unreachable)}`);
    }
  }
}
