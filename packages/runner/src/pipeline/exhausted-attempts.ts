import type { JobStore } from '@llmq/core';
import type { Worker } from 'bullmq';

/**
 * Ends in the job store a prompt job whose last attempt BullMQ failed on an unexpected error
 * (`internal_error`): the pipeline ends jobs itself, so only a throw it did not catch reaches
 * BullMQ's `failed` with no attempt left. A job failed for its stalls (`deferredFailure`) is
 * ended by its own handler (`onStalledOut`).
 */
export function failExhaustedAttempts(worker: Worker, store: JobStore): void {
  worker.on('failed', (job, error) => {
    if (!job?.id || job.deferredFailure || job.attemptsMade < (job.opts.attempts ?? 1)) return;
    void store
      .fail(job.id, { code: 'internal_error', message: error.message })
      .catch(() => undefined);
  });
}
