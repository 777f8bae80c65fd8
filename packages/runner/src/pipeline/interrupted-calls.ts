import {
  type AttemptRecord,
  type CallJournal,
  type JournalClose,
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
 * Closes prompt jobs' call journals once a run has ended the job: every call is in its stored
 * attempts then, or in its late-calls list when another run of the job made it (`onLateCalls`
 * gets their models). The run that ends the job closes it in its final transition
 * ({@link closing}: no script of its own); after any other run ({@link after}: skipped,
 * cancelled, lost the race, failed before its stages) it is closed without holding up the job.
 * A run that parked or will be retried keeps the journal for the next run.
 */
export class JournalCloser {
  /** Runs (BullMQ's job object of each) whose final transition closed the journal. */
  private readonly closedBy = new WeakSet<Job>();

  constructor(
    private readonly journal: CallJournal,
    private readonly onLateCalls: (models: string[]) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** The close for the final transition of this run of `job` (see `CallJournal.closing`). */
  closing(job: Job, jobId: string): JournalClose {
    return this.journal.closing(jobId, (lateModels) => {
      this.closedBy.add(job);
      if (lateModels.length > 0) this.onLateCalls(lateModels);
    });
  }

  /** Wraps a job processor so the journal is closed after each run that did not close it. */
  after<Processor extends (job: Job, token?: string) => Promise<void>>(
    processor: Processor,
  ): (job: Job, token?: string) => Promise<void> {
    return async (job, token) => {
      try {
        await processor(job, token);
      } finally {
        const jobId: unknown = job.data?.jobId;
        if (typeof jobId === 'string' && !this.closedBy.has(job))
          void this.journal
            .closeIfFinished(jobId)
            .then((late) => {
              if (late && late.length > 0) this.onLateCalls(late);
            })
            .catch(this.onError);
      }
    };
  }
}
