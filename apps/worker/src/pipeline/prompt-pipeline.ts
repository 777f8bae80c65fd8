import type { PromptJobData } from '@llmq/core';
import { jobCatalog, tracerName } from '@llmq/core';
import { trace } from '@opentelemetry/api';
import type { ChatAnswer } from './chat-stage';
import { claimPromptJob, sendPromptClaim, settlePromptClaim } from './claim-job';
import { createJobRunner, type JobSink } from './job-runner';
import { mayOverlapStart, OverlappedClaim } from './overlapped-claim';
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
  const sink: JobSink<PromptJobData, ChatAnswer> = {
    events: 'job',
    parse: (job) => parseJobData(job, jobCatalog.prompt.schema, store),
    identity: (data) => data,
    async open(job, data, observed, log, token) {
      const started = (startedAt: number) => {
        observed.started(startedAt);
        logger.debug('job-start', { event: 'job-start', ...log });
      };
      if (mayOverlapStart(job, data, options.journal !== undefined)) {
        // The start's round trip is shared with the first call's guards (see OverlappedClaim).
        const claim = new OverlappedClaim(sendPromptClaim(options, data), async (outcome) => {
          const settled = await settlePromptClaim(
            options,
            job,
            data,
            observed,
            log,
            token,
            outcome,
          );
          if (settled) started(settled.startedAt);
          return settled;
        });
        return new PromptRun({ ...options, tracer }, job, data, observed, log, claim);
      }
      const claim = await claimPromptJob(options, job, data, observed, log, token);
      if (!claim) return undefined;
      started(claim.startedAt);
      return new PromptRun({ ...options, tracer }, job, data, observed, log, claim.startedAt);
    },
  };
  return createJobRunner(sink, { tracer, logger, metrics: options.metrics });
}
