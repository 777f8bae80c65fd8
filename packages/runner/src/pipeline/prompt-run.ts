import {
  type AttemptRecord,
  failureSummary,
  type JobDeltaPublisher,
  type JobFailure,
  jobCatalog,
  ledgerLinesFromAttempts,
  type PromptJobData,
  type ResponseCaches,
  type RoutingDecision,
  reservationToRelease,
  routeJob,
  type StartOutcome,
} from '@llmq/core';
import type { Tracer } from '@opentelemetry/api';
import { type Job, UnrecoverableError } from 'bullmq';
import { answerFromCache, lookupCache } from './answer-from-cache';
import {
  asksForJson,
  type ChatAnswer,
  chatAnsweredBy,
  chatOutput,
  routeRejected,
} from './chat-stage';
import { progressWithInterruptedCalls } from './interrupted-calls';
import { buildJobResult, resultLogFields } from './job-result';
import type { JobRun, OutputVerdict, StageHooks, StageOutcome } from './job-runner';
import type { ObservedJob } from './job-telemetry';
import { type PromptRunContext, promptChatStage } from './prompt-chat-stage';
import type { PromptPipelineOptions } from './prompt-pipeline-options';
import { SpeculativeRun } from './speculative-run';
import { deltaModel } from './stream-generation';

/**
 * A run's job-store start sent without waiting for its answer (a first run, see
 * `startsWithFirstCall`): the run's first call goes out with the start in one round trip, its
 * journal record and breaker permit gated on the job's record (see `OpenCall.gate`), so
 * nothing is called, recorded or taken unless the start let the run in. A run the caches look
 * up is never one (its lookup may be an embedding call). The run's end waits for the start,
 * and a refused start is then acted on as a claim's is (`settle`: capped back to delayed,
 * expired failed, cancelled or ended skipped), whatever the stages came back with.
 */
export interface DeferredStart {
  outcome: Promise<StartOutcome>;
  /** The start let the run in, at `startedAt` (epoch ms). */
  started(startedAt: number): void;
  /** Acts on a refused start; throws when the job goes back to BullMQ or fails. */
  settle(claim: StartOutcome): Promise<unknown>;
}

/** One run of a claimed prompt job: route, caches, provider stage; its ends in the job store. */
export class PromptRun implements JobRun<ChatAnswer> {
  /** A streamed job's deltas go out as they arrive; a sync one's client leaving stops it. */
  private readonly publisher: JobDeltaPublisher | undefined;
  private readonly stopWatch: JobDeltaPublisher | undefined;
  private routing: RoutingDecision | undefined;
  /** A speculative job's two calls and its initial answer (see `speculative-run.ts`). */
  private readonly speculative: SpeculativeRun | undefined;
  private lookup: Awaited<ReturnType<ResponseCaches['lookup']>> | undefined;
  private readonly context: PromptRunContext;
  readonly output: JobRun<ChatAnswer>['output'];
  /** A start not waited for (see {@link DeferredStart}), and whether it let the run in. */
  private readonly deferred: { start: DeferredStart; accepted: Promise<boolean> } | undefined;

  constructor(
    private readonly options: PromptPipelineOptions & { tracer: Tracer },
    private readonly job: Job,
    private readonly data: PromptJobData,
    observed: ObservedJob,
    private readonly log: Record<string, unknown>,
    /** When the job store accepted this run, epoch ms; or its start, not waited for. */
    start: number | DeferredStart,
  ) {
    const startedAt = typeof start === 'number' ? start : Date.now();
    const times = { createdAt: data.createdAt, startedAt, callStartedAt: performance.now() };
    this.context = { options, data, observed, log, times };
    if (typeof start !== 'number') {
      const accepted = start.outcome.then((claim) => {
        if (claim.outcome !== 'started') return false;
        times.startedAt = claim.startedAt;
        start.started(claim.startedAt);
        return true;
      });
      // Read by the run's end; a failed start must not be an unhandled rejection before then.
      accepted.catch(() => undefined);
      this.deferred = { start, accepted };
      this.context.started = accepted;
    }
    this.publisher = data.stream ? options.openDeltaPublisher?.(data.jobId) : undefined;
    // A sync request's job, or a background response, may be stopped by its client mid-call.
    const watched =
      !data.stream &&
      (job.queueName === jobCatalog.interactivePrompt.queue || data.stoppable === true);
    this.stopWatch = watched ? options.openDeltaPublisher?.(data.jobId) : undefined;
    this.speculative = data.speculative && new SpeculativeRun(this.context, data.speculative);
    const policies = options.filterPolicies;
    this.output =
      policies && chatOutput(() => policies.policyFor(data.tenant), asksForJson(data.request));
  }

  async call(hooks: StageHooks<ChatAnswer>): Promise<StageOutcome<ChatAnswer>> {
    const { deferred } = this;
    if (!deferred) return this.stages(hooks);
    let outcome: StageOutcome<ChatAnswer>;
    try {
      outcome = await this.stages(hooks);
    } catch (error) {
      if (await deferred.accepted) throw error;
      return this.refused(deferred.start);
    }
    return (await deferred.accepted) ? outcome : this.refused(deferred.start);
  }

  /** A start that refused the run: settled as a claim's is; nothing else to record. */
  private async refused(start: DeferredStart): Promise<StageOutcome<ChatAnswer>> {
    await start.settle(await start.outcome);
    return { kind: 'answered' };
  }

  private async stages(hooks: StageHooks<ChatAnswer>): Promise<StageOutcome<ChatAnswer>> {
    const { data, options, publisher, job } = this;
    // Routed again at run time: the catalog may have changed since the API accepted the job.
    const route = routeJob(options.catalog, data);
    if (!route.ok) return routeRejected(route);
    this.routing = route.decision;
    this.lookup = await lookupCache(options.caches, data, route.decision.model);
    if (this.lookup?.hit) {
      // A run that looks up the caches has waited for its start (see `startsWithFirstCall`).
      const context = { ...options, publisher, startedAt: this.context.times.startedAt };
      await answerFromCache(context, data, this.lookup.hit, this.log);
      return { kind: 'answered' };
    }
    if (this.speculative) return this.speculative.call(route.decision, hooks);
    return promptChatStage(this.context, route.decision, {
      hedge: data.hedge,
      ...(data.serviceTier === 'flex' && data.completeBy !== undefined
        ? { flex: { deadline: data.completeBy } }
        : {}),
      progress: await progressWithInterruptedCalls(job, data, options.journal, options.metrics),
      wrap: deltaModel(
        publisher,
        this.stopWatch,
        options.metrics,
        publisher ? (await this.output?.policy())?.output : undefined,
      ),
    });
  }

  /** Stores a speculative job's initial answer; the job stays active, its upgrade pending. */
  async storeInitial(chat: ChatAnswer, attempts: AttemptRecord[], verdict?: OutputVerdict) {
    return (await this.speculative?.storeInitial(chat, attempts, verdict)) ?? false;
  }

  readonly answeredBy = chatAnsweredBy;

  async complete(chat: ChatAnswer, attempts: AttemptRecord[], verdict?: OutputVerdict) {
    const { data, lookup } = this;
    const finishedAt = Date.now();
    const result =
      this.speculative?.finalResult(chat, attempts, verdict, finishedAt) ??
      buildJobResult(chat, {
        attempts,
        routing: this.routing!,
        verdict,
        finishedAt,
        ...this.context.times,
      });
    // Only a complete, clean answer is cached (a redacted one is `cacheable: false`), stored
    // before the job completes so a client that sees the result and asks again hits. A
    // speculative job's initial answer is never cached: only a final one.
    const cacheable = verdict?.cacheable !== false && result.stage !== 'initial';
    if (lookup && cacheable) await lookup.remember(result);
    const ledger = this.ledgerWrite(attempts, finishedAt);
    const written = await this.options.store.complete(
      data.jobId,
      result,
      finishedAt,
      ledger,
      this.journalClose(),
    );
    const settled = written ? undefined : await this.speculative?.settleCancelled(ledger);
    // Built only when written: every job would make these objects for a line at `warn` dropped.
    if (!this.options.logger.isLevelEnabled('info')) return;
    this.options.logger.info('job-end', {
      event: 'job-end',
      ...this.log,
      ...resultLogFields(result, chat.answer.text.length),
      written,
      ...(settled !== undefined ? { settled } : {}),
    });
  }

  async fail(failure: JobFailure, attempts: readonly AttemptRecord[], reason?: string) {
    const { routing } = this;
    const recorded = routing ? { ...failure, attempts: [...attempts], routing } : failure;
    const ledger = this.ledgerWrite(attempts);
    await this.options.store.fail(
      this.data.jobId,
      recorded,
      undefined,
      ledger,
      this.journalClose(),
    );
    throw new UnrecoverableError(reason ?? failureSummary(failure));
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

  /** The close of the job's call journal, for its final transition to carry out. */
  private journalClose() {
    return this.options.journalCloser?.closing(this.job, this.data.jobId);
  }

  /** The ledger write that rides on the job's final transition (exactly once per job). */
  private ledgerWrite(attempts: readonly AttemptRecord[], now?: number) {
    return this.options.ledger?.write(this.data.tenant, ledgerLinesFromAttempts(attempts), {
      now,
      releaseReservation: reservationToRelease(this.data),
    });
  }
}
