import {
  ClientError,
  type JobRecord,
  type JobStore,
  type JobSubmitter,
  promptJobDataSchema,
} from '@llmq/core';
import type { Queue } from 'bullmq';

export interface RetryDependencies {
  store: JobStore;
  /** The standard lane's queue, where failed async jobs wait to be retried. */
  queue: Queue;
  /** Reserves budget for a rerun; absent, a retry reserves nothing. */
  submitter?: JobSubmitter;
}

/**
 * Runs a failed job of `tenant` again (a dead-letter retry): budget reserved as a submit
 * would, the record reopened, a fresh run with a full set of attempts. Throws `job_not_found`
 * or `job_not_retryable` (409) saying why not; returns the record as reopened (queued).
 */
export async function retryFailedJob(
  { store, queue, submitter }: RetryDependencies,
  tenant: string,
  jobId: string,
): Promise<JobRecord | null> {
  const record = await store.get(jobId);
  if (!record || record.tenant !== tenant) throw jobNotFound();
  if (record.status !== 'failed') {
    throw new ClientError(
      'job_not_retryable',
      `the job is ${record.status}; only failed jobs can be retried`,
      { status: record.status },
    );
  }
  const job = await queue.getJob(jobId);
  const state = job ? await job.getState() : undefined;
  if (!job || state !== 'failed') {
    throw new ClientError(
      'job_not_retryable',
      job
        ? 'the job is still being wound up; retry in a moment'
        : "the job's queue entry has expired; submit it again",
      { status: record.status },
    );
  }
  // The rerun is billed again: it reserves budget like a submit (402 budget_exceeded).
  const parsed = promptJobDataSchema.safeParse(job.data);
  if (submitter && parsed.success) await submitter.reserveRerun(tenant, parsed.data);
  const reopened = await store.reopen(jobId, tenant);
  if (reopened !== 'reopened') await submitter?.releaseReservation(tenant, jobId);
  if (reopened === 'missing') throw jobNotFound();
  if (reopened !== 'reopened') {
    throw new ClientError(
      'job_not_retryable',
      `the job is ${reopened}; only failed jobs can be retried`,
    );
  }
  // A fresh run: no calls carried over from the failed one, a full set of attempts. The rerun
  // may have reserved budget above, so its end must look for a reservation to release.
  const {
    progress: _progress,
    noReservation: _noReservation,
    ...data
  } = job.data as Record<string, unknown>;
  await job.updateData(data);
  // The record as reopened (queued): read before the retry, since a free worker may claim
  // the job the moment it is back in the queue.
  const updated = await store.get(jobId);
  await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  return updated;
}

export function jobNotFound(): ClientError {
  return new ClientError('job_not_found', 'no such job');
}
