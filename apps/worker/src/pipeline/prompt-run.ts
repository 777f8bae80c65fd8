import {
  type AttemptRecord,
  type JobDeltaPublisher,
  type JobFailure,
  jobCatalog,
  ledgerLinesFromAttempts,
  type PromptJobData,
  type ResponseCaches,
  type RoutingDecision,
  routeJob,
} from '@llmq/core';
import type { Tracer } from '@opentelemetry/api';
import { type Job, UnrecoverableError } from 'bullmq';
import { answerFromCache } from './answer-from-cache';
import {
  asksForJson,
  type ChatAnswer,
  chatAnsweredBy,
  chatOutput,
  routeRejected,
  runChatStage,
} from './chat-stage';
import { progressWithInterruptedCalls } from './interrupted-calls';
import { buildJobResult, resultLogFields } from './job-result';
import type { JobRun, OutputVerdict, StageOutcome } from './job-runner';
import type { ObservedJob } from './job-telemetry';
import type { PromptPipelineOptions } from './prompt-pipeline-options';
import { deltaModel } from './stream-generation';

/** One run of a claimed prompt job: route, caches, provider stage; its ends in the job store. */
export class PromptRun implements JobRun<ChatAnswer> {
  /** A streamed job's deltas go out as they arrive; a sync one's client leaving stops it. */
  private readonly publisher: JobDeltaPublisher | undefined;
  private readonly stopWatch: JobDeltaPublisher | undefined;
  private routing: RoutingDecision | undefined;
  private lookup: Awaited<ReturnType<ResponseCaches['lookup']>> | undefined;
  private readonly callStartedAt = performance.now();
  readonly output: JobRun<ChatAnswer>['output'];

  constructor(
    private readonly options: PromptPipelineOptions & { tracer: Tracer },
    private readonly job: Job,
    private readonly data: PromptJobData,
    private readonly observed: ObservedJob,
    private readonly log: Record<string, unknown>,
    /** When the job store accepted this run, epoch ms. */
    private readonly startedAt: number,
  ) {
    this.publisher = data.stream ? options.openDeltaPublisher?.(data.jobId) : undefined;
    const sync = !data.stream && job.queueName === jobCatalog.interactivePrompt.queue;
    this.stopWatch = sync ? options.openDeltaPublisher?.(data.jobId) : undefined;
    const policies = options.filterPolicies;
    this.output =
      policies && chatOutput(() => policies.policyFor(data.tenant), asksForJson(data.request));
  }

  async call(): Promise<StageOutcome<ChatAnswer>> {
    const { data, options, publisher } = this;
    // Routed again at run time: the catalog may have changed since the API accepted the job.
    const route = routeJob(options.catalog, data);
    if (!route.ok) return routeRejected(route);
    this.routing = route.decision;
    // Caches: an exact or close-enough earlier answer is answered again, free; `refresh`
    // skips the reads (the fresh answer is stored on completion). Keyed by the routed model,
    // as the API's sync endpoints key it, so `auto` hits on every path.
    const { tenant, request, cache: mode, cacheOptions } = data;
    this.lookup = await options.caches?.lookup({
      tenant,
      model: route.decision.model,
      request,
      mode,
      options: cacheOptions,
    });
    if (this.lookup?.hit) {
      const context = { ...options, publisher, startedAt: this.startedAt };
      await answerFromCache(context, data, this.lookup.hit, this.log);
      return { kind: 'answered' };
    }
    return runChatStage({
      execute: options.execute,
      decision: route.decision,
      request: data.request,
      hedge: data.hedge,
      progress: await progressWithInterruptedCalls(
        this.job,
        data,
        options.journal,
        options.metrics,
      ),
      // Each call is recorded as started before it is made: a crash mid-call is still counted.
      recorder: options.journal?.forJob(data.jobId, route.decision.input_tokens),
      requestId: data.jobId,
      log: this.log,
      context: this.observed.context,
      telemetry: options,
      wrap: deltaModel(publisher, this.stopWatch, options.metrics),
    });
  }

  readonly answeredBy = chatAnsweredBy;

  async complete(chat: ChatAnswer, attempts: AttemptRecord[], verdict?: OutputVerdict) {
    const { data, lookup } = this;
    const finishedAt = Date.now();
    const result = buildJobResult(chat, {
      attempts,
      routing: this.routing as RoutingDecision,
      verdict,
      createdAt: data.createdAt,
      startedAt: this.startedAt,
      finishedAt,
      callStartedAt: this.callStartedAt,
    });
    // Only a complete, clean answer is cached (a redacted one is `cacheable: false`), stored
    // before the job completes so a client that sees the result and asks again hits.
    if (lookup && verdict?.cacheable !== false) await lookup.remember(result);
    const ledger = this.ledgerWrite(attempts, finishedAt);
    const written = await this.options.store.complete(data.jobId, result, finishedAt, ledger);
    const fields = resultLogFields(result, chat.answer.text.length);
    this.options.logger.info('job-end', { event: 'job-end', ...this.log, ...fields, written });
  }

  async fail(failure: JobFailure, attempts: readonly AttemptRecord[], reason?: string) {
    const { routing } = this;
    const recorded = routing ? { ...failure, attempts: [...attempts], routing } : failure;
    await this.options.store.fail(this.data.jobId, recorded, undefined, this.ledgerWrite(attempts));
    throw new UnrecoverableError(reason ?? failure.message);
  }

  async requeue(failure: JobFailure): Promise<void> {
    await this.options.store.requeue(this.data.jobId, failure);
  }

  async stopped(): Promise<boolean> {
    if (!(this.publisher ?? this.stopWatch)?.stopRequested) return false;
    await this.options.store.stop(this.data.jobId, undefined, this.data.tenant);
    this.options.logger.info('job-stop', { event: 'job-stop', ...this.log });
    return true;
  }

  /** Once deltas went out, a retry would repeat text the client already has: fail instead. */
  mayRetry(): boolean {
    return this.publisher?.published !== true;
  }

  /** The ledger write that rides on the job's final transition (exactly once per job). */
  private ledgerWrite(attempts: readonly AttemptRecord[], now?: number) {
    return this.options.ledger?.write(this.data.tenant, ledgerLinesFromAttempts(attempts), {
      now,
      releaseReservation: this.data.jobId,
    });
  }
}
