import {
  type AttemptRecord,
  type JobDeltaPublisher,
  type JobFailure,
  type JobResult,
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
  type ChatAnswer,
  type ChatStageRequest,
  chatAnsweredBy,
  chatOutput,
  routeRejected,
  runChatStage,
} from './chat-stage';
import { progressWithInterruptedCalls } from './interrupted-calls';
import { buildJobResult, resultLogFields } from './job-result';
import type { JobRun, OutputVerdict, StageHooks, StageOutcome } from './job-runner';
import type { ObservedJob } from './job-telemetry';
import type { PromptPipelineOptions } from './prompt-pipeline-options';
import { runSpeculativeStage } from './speculative-stage';
import { deltaModel } from './stream-generation';

/** One run of a claimed prompt job: route, caches, provider stage; its ends in the job store. */
export class PromptRun implements JobRun<ChatAnswer> {
  /** A streamed job's deltas go out as they arrive; a sync one's client leaving stops it. */
  private readonly publisher: JobDeltaPublisher | undefined;
  private readonly stopWatch: JobDeltaPublisher | undefined;
  private routing: RoutingDecision | undefined;
  /** A speculative job: the fast model's route, its stored initial answer, the upgrade's fate. */
  private readonly upgradeWatch: JobDeltaPublisher | undefined;
  private fastRouting: RoutingDecision | undefined;
  private initial: { answer: ChatAnswer; result: JobResult } | undefined;
  private upgradeFailure: JobFailure | undefined;
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
    // A cancel during a speculative job's upgrade sets the job's stop flag: the call aborts.
    this.upgradeWatch = data.speculative ? options.openDeltaPublisher?.(data.jobId) : undefined;
    const policies = options.filterPolicies;
    this.output = policies && chatOutput(() => policies.policyFor(data.tenant));
  }

  async call(hooks: StageHooks<ChatAnswer>): Promise<StageOutcome<ChatAnswer>> {
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
    if (data.speculative) return this.callSpeculative(route.decision, data.speculative, hooks);
    return this.chatStage(route.decision, {
      hedge: data.hedge,
      progress: await progressWithInterruptedCalls(
        this.job,
        data,
        options.journal,
        options.metrics,
      ),
      wrap: deltaModel(publisher, this.stopWatch, options.metrics),
    });
  }

  private chatStage(
    decision: RoutingDecision,
    extra: Pick<ChatStageRequest, 'hedge' | 'progress' | 'wrap'>,
  ): Promise<StageOutcome<ChatAnswer>> {
    const { data, options } = this;
    return runChatStage({
      execute: options.execute,
      decision,
      request: data.request,
      // Each call is recorded as started before it is made: a crash mid-call is still counted.
      recorder: options.journal?.forJob(data.jobId, decision.input_tokens),
      requestId: data.jobId,
      log: this.log,
      context: this.observed.context,
      telemetry: options,
      ...extra,
    });
  }

  /**
   * Both models at once: the fast one's answer is stored as the initial result (through the
   * runner's hook, so the output filter sees it), the upgrade's ends the job. Each call is
   * routed, rate limited and billed as any call is; earlier attempts ride on the upgrade.
   */
  private async callSpeculative(
    upgradeDecision: RoutingDecision,
    models: NonNullable<PromptJobData['speculative']>,
    hooks: StageHooks<ChatAnswer>,
  ): Promise<StageOutcome<ChatAnswer>> {
    const { data, options } = this;
    const fastRoute = routeJob(options.catalog, { ...data, model: models.fast_model });
    const speculative = await runSpeculativeStage({
      fast: async () => {
        if (!fastRoute.ok) return routeRejected(fastRoute);
        this.fastRouting = fastRoute.decision;
        return this.chatStage(fastRoute.decision, {});
      },
      upgrade: () =>
        this.chatStage(upgradeDecision, {
          progress: data.progress,
          wrap: deltaModel(undefined, this.upgradeWatch, options.metrics),
        }),
      initial: (answer, attempts) => hooks.initial(answer, attempts),
    });
    this.upgradeFailure = speculative.upgradeFailure;
    return speculative.outcome;
  }

  /** Stores a speculative job's initial answer; the job stays active, its upgrade pending. */
  async storeInitial(chat: ChatAnswer, attempts: AttemptRecord[], verdict?: OutputVerdict) {
    const result: JobResult = {
      ...this.buildResult(chat, attempts, verdict, this.fastRouting),
      stage: 'initial',
      upgrade_pending: true,
    };
    const stored = await this.options.store.storeInitial(this.data.jobId, result);
    if (stored) this.initial = { answer: chat, result };
    const fields = resultLogFields(result, chat.answer.text.length);
    this.options.logger.info('job-initial', {
      event: 'job-initial',
      ...this.log,
      ...fields,
      stored,
    });
    return stored;
  }

  readonly answeredBy = chatAnsweredBy;

  async complete(chat: ChatAnswer, attempts: AttemptRecord[], verdict?: OutputVerdict) {
    const { data, lookup } = this;
    const finishedAt = Date.now();
    const result = this.finalResult(chat, attempts, verdict, finishedAt);
    // Only a complete, clean answer is cached (a redacted one is `cacheable: false`), stored
    // before the job completes so a client that sees the result and asks again hits. A
    // speculative job's initial answer is never cached: only a final one.
    const cacheable = verdict?.cacheable !== false && result.stage !== 'initial';
    if (lookup && cacheable) await lookup.remember(result);
    const ledger = this.ledgerWrite(attempts, finishedAt);
    const written = await this.options.store.complete(data.jobId, result, finishedAt, ledger);
    // Cancelled while its upgrade was pending: the calls it made are still billed, once.
    const settled =
      !written && data.speculative && ledger
        ? await this.options.store.settleCancelled(data.jobId, ledger)
        : undefined;
    const fields = resultLogFields(result, chat.answer.text.length);
    this.options.logger.info('job-end', {
      event: 'job-end',
      ...this.log,
      ...fields,
      written,
      ...(settled !== undefined ? { settled } : {}),
    });
  }

  /**
   * The result that ends the job. A speculative job's is the upgrade (`stage: "final"`, the
   * initial answer kept under `initial`), or the fast answer that stands (`stage: "initial"`)
   * with why it was not upgraded.
   */
  private finalResult(
    chat: ChatAnswer,
    attempts: AttemptRecord[],
    verdict: OutputVerdict | undefined,
    finishedAt: number,
  ): JobResult {
    if (!this.data.speculative)
      return this.buildResult(chat, attempts, verdict, this.routing, finishedAt);
    const standing = this.upgradeFailure !== undefined;
    if (standing)
      return {
        ...this.buildResult(chat, attempts, verdict, this.fastRouting, finishedAt),
        stage: 'initial',
        upgrade_pending: false,
        upgrade_error: this.upgradeFailure,
      };
    const initial = this.initial?.result;
    return {
      ...this.buildResult(chat, attempts, verdict, this.routing, finishedAt),
      stage: 'final',
      upgrade_pending: false,
      ...(initial ? { initial: { ...initial, upgrade_pending: false } } : {}),
    };
  }

  private buildResult(
    chat: ChatAnswer,
    attempts: AttemptRecord[],
    verdict: OutputVerdict | undefined,
    routing: RoutingDecision | undefined,
    finishedAt = Date.now(),
  ): JobResult {
    return buildJobResult(chat, {
      attempts,
      routing: (routing ?? this.routing) as RoutingDecision,
      verdict,
      createdAt: this.data.createdAt,
      startedAt: this.startedAt,
      finishedAt,
      callStartedAt: this.callStartedAt,
    });
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
