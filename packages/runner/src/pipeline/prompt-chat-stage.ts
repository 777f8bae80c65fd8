import type { PromptJobData, RoutingDecision } from '@llmq/core';
import type { Tracer } from '@opentelemetry/api';
import { type ChatAnswer, type ChatStageRequest, runChatStage } from './chat-stage';
import type { JobResultParts } from './job-result';
import type { StageOutcome } from './job-runner';
import type { ObservedJob } from './job-telemetry';
import type { PromptPipelineOptions } from './prompt-pipeline-options';

/** What one run of a prompt job carries into its provider stages and its results. */
export interface PromptRunContext {
  options: PromptPipelineOptions & { tracer: Tracer };
  data: PromptJobData;
  observed: ObservedJob;
  log: Record<string, unknown>;
  /** Where the run's result timings start from. */
  times: Pick<JobResultParts, 'createdAt' | 'startedAt' | 'callStartedAt'>;
  /**
   * A start sent without waiting (see `DeferredStart`): true once it let the run in. Its calls
   * are gated on it.
   */
  started?: Promise<boolean>;
}

/** One model's chat stage for a prompt job run, with the job's request, journal and telemetry. */
export function promptChatStage(
  run: PromptRunContext,
  decision: RoutingDecision,
  extra: Pick<ChatStageRequest, 'hedge' | 'flex' | 'progress' | 'wrap'>,
): Promise<StageOutcome<ChatAnswer>> {
  const { data, options } = run;
  return runChatStage({
    execute: options.execute,
    decision,
    request: data.request,
    // Each call is recorded as started before it is made: a crash mid-call is still counted.
    recorder: options.journal?.forJob(data.jobId, decision.input_tokens, run.started),
    requestId: data.jobId,
    log: run.log,
    context: run.observed.context,
    telemetry: options,
    ...extra,
  });
}
