import type { PromptJobData } from '@llmq/core';
import { isCacheable, jobCatalog, plainPromptJobData, tracerName } from '@llmq/core';
import { trace } from '@opentelemetry/api';
import type { Job } from 'bullmq';
import type { ChatAnswer } from './chat-stage';
import { claimPromptJob, settlePromptStart, startPromptJob } from './claim-job';
import { createJobRunner, type JobSink } from './job-runner';
import { parseJobData } from './parse-job-data';
import type { PromptPipelineOptions } from './prompt-pipeline-options';
import { PromptRun } from './prompt-run';

export type { PromptPipelineOptions };

/**
 * Runs prompt jobs through the job runner: claim in the job store, route, answer from the
 * caches or the provider stage, store the result once. Results live in the job store, not in
 * BullMQ's return value.
 */
export function createPromptPipeline(options: PromptPipelineOptions) {
  const tracer = options.tracer ?? trace.getTracer(tracerName);
  const { store, logger } = options;
  // Made once: a copy of every option per job was ~20 keys copied for nothing.
  const runOptions = { ...options, tracer };
  const sink: JobSink<PromptJobData, ChatAnswer> = {
    events: 'job',
    parse: (job) => parseJobData(job, jobCatalog.prompt.schema, store, plainPromptJobData),
    identity: (data) => data,
    async open(job, data, observed, log, token) {
      const started = (startedAt: number) => {
        observed.started(startedAt);
        // The line's fields are copied only for a line that is written (the worker logs at `warn`).
        if (logger.isLevelEnabled('debug'))
          logger.debug('job-start', { event: 'job-start', ...log });
      };
      if (startsWithFirstCall(job, data, options)) {
        // Sent now and read with the first call's guards, one round trip for both (see
        // `DeferredStart`); acted on by the run once its stages are done with.
        return new PromptRun(runOptions, job, data, observed, log, {
          outcome: startPromptJob(options, data),
          started: (startedAt) => {
            options.throughput?.started(job.queueName);
            started(startedAt);
          },
          settle: (claim) => settlePromptStart(options, job, data, observed, log, token, claim),
        });
      }
      const claim = await claimPromptJob(options, job, data, observed, log, token);
      if (!claim) return undefined;
      started(claim.startedAt);
      return new PromptRun(runOptions, job, data, observed, log, claim.startedAt);
    },
  };
  return createJobRunner(sink, { tracer, logger, metrics: options.metrics });
}

/**
 * Whether a run's start may go out without being waited for: a first run (nothing carried,
 * not a retry or a stalled job's re-run, whose journal is read and carried first) whose stage
 * has nothing with effects before its first call but what the start gate covers: not
 * speculative (an initial answer), hedged (two calls at once) or flex (its own wait), not
 * looked up in the response caches (the semantic cache's lookup is an embedding call, which no
 * gate covers: a cancelled or capped job must not make it), and calls on record in a journal
 * (the gate rides on the journal's record).
 */
function startsWithFirstCall(job: Job, data: PromptJobData, options: PromptPipelineOptions) {
  const rerun = job.attemptsStarted > 1 || job.attemptsMade > 0 || job.stalledCounter > 0;
  return (
    options.journal !== undefined &&
    !rerun &&
    data.progress === undefined &&
    data.speculative === undefined &&
    data.hedge === undefined &&
    data.serviceTier !== 'flex' &&
    !(options.caches && isCacheable(data.request, data.cache))
  );
}
