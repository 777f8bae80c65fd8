import {
  type JobFailure,
  type PromptJobData,
  type RunningCap,
  reservationToRelease,
  runningCapRetryDelayMs,
  type StartOutcome,
} from '@llmq/core';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { ObservedJob } from './job-telemetry';
import type { PromptPipelineOptions } from './prompt-pipeline-options';

/** The running-job caps a prompt job counts against: its tenant's and its API key's. */
export async function runningCapsOf(
  options: Pick<PromptPipelineOptions, 'flows'>,
  data: PromptJobData,
): Promise<RunningCap[]> {
  const caps: RunningCap[] = [];
  const tenantCap = await options.flows?.runningCapOf(data.tenant);
  if (tenantCap !== undefined) caps.push({ scope: `tenant:${data.tenant}`, limit: tenantCap });
  if (data.apiKey) caps.push({ scope: `key:${data.apiKey.id}`, limit: data.apiKey.maxRunningJobs });
  return caps;
}

/**
 * Claims a prompt job in the job store, or deals with why it cannot run now:
 * - a full running-job cap puts the job back in the delayed set, spending no attempt, so the
 *   lane's other jobs (other tenants', other keys') run meanwhile;
 * - a start deadline passed before it ever started fails it `deadline_exceeded` with no
 *   provider call (its budget reservation released in the same step).
 * Returns the started claim, or undefined when there is nothing to run (skipped).
 */
export async function claimPromptJob(
  options: PromptPipelineOptions,
  job: Job,
  data: PromptJobData,
  observed: ObservedJob,
  log: Record<string, unknown>,
  token: string | undefined,
): Promise<StartedClaim | undefined> {
  const claim = await startPromptJob(options, data);
  return settlePromptStart(options, job, data, observed, log, token, claim);
}

export type StartedClaim = Extract<StartOutcome, { outcome: 'started' }>;

/** The job store's start of a prompt job, against its running-job caps. */
export async function startPromptJob(
  options: PromptPipelineOptions,
  data: PromptJobData,
): Promise<StartOutcome> {
  const caps = await runningCapsOf(options, data);
  return options.store.start(data.jobId, Date.now(), { startBy: data.startBy, caps });
}

/** Acts on what the start said, as {@link claimPromptJob} describes. */
export async function settlePromptStart(
  options: PromptPipelineOptions,
  job: Job,
  data: PromptJobData,
  observed: ObservedJob,
  log: Record<string, unknown>,
  token: string | undefined,
  claim: StartOutcome,
): Promise<StartedClaim | undefined> {
  const { store, logger } = options;
  switch (claim.outcome) {
    case 'started':
      options.throughput?.started(job.queueName);
      return claim;
    case 'capped': {
      const delayMs = runningCapRetryDelayMs();
      logger.debug('job-capped', {
        event: 'job-capped',
        ...log,
        running: claim.running,
        delay_ms: delayMs,
      });
      await job.moveToDelayed(Date.now() + delayMs, token);
      throw new DelayedError();
    }
    case 'expired': {
      const failure: JobFailure = {
        code: 'deadline_exceeded',
        message: `the job was not started by its start_by (${new Date(data.startBy ?? 0).toISOString()})`,
      };
      const ledger = options.ledger?.write(data.tenant, [], {
        releaseReservation: reservationToRelease(data),
      });
      await store.fail(data.jobId, failure, undefined, ledger);
      logger.info('job-expired', { event: 'job-expired', ...log });
      throw new UnrecoverableError(failure.message);
    }
    case 'cancelled':
    case 'finished':
    case 'missing':
      logger.info('job-skip', { event: 'job-skip', ...log, reason: claim.outcome });
      observed.skipped();
      return undefined;
    default: {
      const unreachable: never = claim;
      return unreachable;
    }
  }
}
