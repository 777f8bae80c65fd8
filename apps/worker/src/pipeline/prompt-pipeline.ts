import type { PromptJobData } from '@llmq/core';
import { jobCatalog, tracerName } from '@llmq/core';
import { trace } from '@opentelemetry/api';
import type { ChatAnswer } from './chat-stage';
import { claimPromptJob } from './claim-job';
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
    parse: (job) => parseJobData(job, jobCatalog.prompt.schema, store),
    identity: (data) => data,
    async open(job, data, observed, log, token) {
      const claim = await claimPromptJob(options, job, data, observed, log, token);
      if (!claim) return undefined;
      observed.started(claim.startedAt);
      // The line's fields are copied only for a line that is written (the worker logs at `warn`).
      if (logger.isLevelEnabled('debug')) logger.debug('job-start', { event: 'job-start', ...log });
      return new PromptRun(runOptions, job, data, observed, log, claim.startedAt);
    },
  };
  return createJobRunner(sink, { tracer, logger, metrics: options.metrics });
}
