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
 * dead worker left started and never ended (see `CallJournal`), each counted once in
 * `llm_provider_calls_reexecuted_total` and kept in the job's data from then on, so the job's
 * attempts and its ledger line include them. A job on its first run (never stalled, never
 * retried) cannot have any: it skips the lookup.
 */
export async function progressWithInterruptedCalls(
  job: Job,
  data: PromptJobData,
  journal: CallJournal | undefined,
  metrics: LlmqMetrics | undefined,
): Promise<Progress> {
  const progress = data.progress as Progress;
  if (!journal || (job.attemptsMade === 0 && (job.stalledCounter ?? 0) === 0)) return progress;
  const interrupted = await journal.interrupted(data.jobId);
  if (interrupted.length === 0) return progress;
  const previous = progress?.attempts ?? [];
  const attempts = withInterruptedCalls(previous, interrupted);
  for (const attempt of attempts.slice(previous.length))
    metrics?.providerCallsReexecuted.inc({ model: attempt.model });
  const carried = { ...data.progress, attempts };
  await job.updateData({ ...data, progress: carried });
  await journal.forget(data.jobId, interrupted);
  return carried;
}
