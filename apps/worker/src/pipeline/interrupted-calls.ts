import {
  type AttemptRecord,
  type CallJournal,
  type LlmqMetrics,
  type PromptJobData,
  withInterruptedCalls,
} from '@llmq/core';
import type { Job } from 'bullmq';

type Progress = { attempts: AttemptRecord[] } | undefined;

/**
 * The progress a job's run starts from: its earlier runs' attempts plus the provider calls a
 * run that died made without storing them (see `CallJournal`), each counted once in
 * `llm_provider_calls_reexecuted_total` and kept in the job's data from then on, so the job's
 * attempts and its ledger line include them. A job on its first run cannot have any: it skips
 * the lookup.
 */
export async function progressWithInterruptedCalls(
  job: Job,
  data: PromptJobData,
  journal: CallJournal | undefined,
  metrics: LlmqMetrics | undefined,
): Promise<Progress> {
  const progress = data.progress as Progress;
  const rerun = job.attemptsStarted > 1 || job.attemptsMade > 0 || job.stalledCounter > 0;
  if (!journal || !rerun) return progress;
  const previous = progress?.attempts ?? [];
  const attempts = withInterruptedCalls(previous, await journal.interrupted(data.jobId));
  if (attempts.length === previous.length) return progress;
  for (const attempt of attempts.slice(previous.length))
    metrics?.providerCallsReexecuted.inc({ model: attempt.model });
  const carried = { ...data.progress, attempts };
  await job.updateData({ ...data, progress: carried });
  return carried;
}

/**
 * Wraps a job processor so the job's call journal is closed, without holding up the job, once
 * a run has ended the job (completed, failed or cancelled): every call is in its stored
 * attempts then, or in its late-calls list when another run of the job made it
 * (`onLateCalls` gets their models). A run that parked or will be retried keeps the journal
 * for the next run.
 */
export function closingCallJournal<Processor extends (job: Job, token?: string) => Promise<void>>(
  processor: Processor,
  journal: CallJournal,
  onLateCalls: (models: string[]) => void,
  onError: (error: unknown) => void,
): (job: Job, token?: string) => Promise<void> {
  return async (job, token) => {
    try {
      await processor(job, token);
    } finally {
      const jobId: unknown = job.data?.jobId;
      if (typeof jobId === 'string')
        void journal
          .closeIfFinished(jobId)
          .then((late) => {
            if (late && late.length > 0) onLateCalls(late);
          })
          .catch(onError);
    }
  };
}
