import {
  type AttemptRecord,
  type JobDeltaPublisher,
  type JobFailure,
  type JobResult,
  type LedgerWrite,
  type PromptJobData,
  type RoutingDecision,
  routeJob,
} from '@llmq/core';
import { type ChatAnswer, routeRejected } from './chat-stage';
import { buildJobResult, resultLogFields } from './job-result';
import type { OutputVerdict, StageHooks, StageOutcome } from './job-runner';
import { type PromptRunContext, promptChatStage } from './prompt-chat-stage';
import { runSpeculativeStage } from './speculative-stage';
import { deltaModel } from './stream-generation';

/**
 * The speculative part of one prompt job run (see docs/speculative-execution.md): the fast
 * model's route, its stored initial answer and the upgrade's fate, from the two calls to the
 * result that ends the job.
 */
export class SpeculativeRun {
  /** A cancel during the upgrade sets the job's stop flag: the call aborts. */
  private readonly upgradeWatch: JobDeltaPublisher | undefined;
  private upgradeRouting: RoutingDecision | undefined;
  private fastRouting: RoutingDecision | undefined;
  private initial: { answer: ChatAnswer; result: JobResult } | undefined;
  private upgradeFailure: JobFailure | undefined;

  constructor(
    private readonly context: PromptRunContext,
    private readonly models: NonNullable<PromptJobData['speculative']>,
  ) {
    this.upgradeWatch = context.options.openDeltaPublisher?.(context.data.jobId);
  }

  /**
   * Both models at once: the fast one's answer is stored as the initial result (through the
   * runner's hook, so the output filter sees it), the upgrade's ends the job. Each call is
   * routed, rate limited and billed as any call is; earlier attempts ride on the upgrade.
   */
  async call(
    upgradeDecision: RoutingDecision,
    hooks: StageHooks<ChatAnswer>,
  ): Promise<StageOutcome<ChatAnswer>> {
    const { data, options } = this.context;
    this.upgradeRouting = upgradeDecision;
    const fastRoute = routeJob(options.catalog, { ...data, model: this.models.fast_model });
    const speculative = await runSpeculativeStage({
      fast: async () => {
        if (!fastRoute.ok) return routeRejected(fastRoute);
        this.fastRouting = fastRoute.decision;
        return promptChatStage(this.context, fastRoute.decision, {});
      },
      upgrade: () =>
        promptChatStage(this.context, upgradeDecision, {
          progress: data.progress,
          wrap: deltaModel(undefined, this.upgradeWatch, options.metrics),
        }),
      initial: (answer, attempts) => hooks.initial(answer, attempts),
    });
    this.upgradeFailure = speculative.upgradeFailure;
    return speculative.outcome;
  }

  /** Stores the initial answer; the job stays active, its upgrade pending. */
  async storeInitial(chat: ChatAnswer, attempts: AttemptRecord[], verdict?: OutputVerdict) {
    const { options, data, log } = this.context;
    const result: JobResult = {
      ...this.buildResult(chat, attempts, verdict, this.fastRouting),
      stage: 'initial',
      upgrade_pending: true,
    };
    const stored = await options.store.storeInitial(data.jobId, result);
    if (stored) this.initial = { answer: chat, result };
    const fields = resultLogFields(result, chat.answer.text.length);
    options.logger.info('job-initial', { event: 'job-initial', ...log, ...fields, stored });
    return stored;
  }

  /**
   * The result that ends the job: the upgrade's (`stage: "final"`, the initial answer kept
   * under `initial`), or the fast answer that stands (`stage: "initial"`) with why it was not
   * upgraded.
   */
  finalResult(
    chat: ChatAnswer,
    attempts: AttemptRecord[],
    verdict: OutputVerdict | undefined,
    finishedAt: number,
  ): JobResult {
    if (this.upgradeFailure !== undefined)
      return {
        ...this.buildResult(chat, attempts, verdict, this.fastRouting, finishedAt),
        stage: 'initial',
        upgrade_pending: false,
        upgrade_error: this.upgradeFailure,
      };
    const initial = this.initial?.result;
    return {
      ...this.buildResult(chat, attempts, verdict, this.upgradeRouting, finishedAt),
      stage: 'final',
      upgrade_pending: false,
      ...(initial ? { initial: { ...initial, upgrade_pending: false } } : {}),
    };
  }

  /** Cancelled while its upgrade was pending: the calls it made are still billed, once. */
  async settleCancelled(ledger: LedgerWrite | undefined): Promise<boolean | undefined> {
    if (!ledger) return undefined;
    return this.context.options.store.settleCancelled(this.context.data.jobId, ledger);
  }

  /** A result answered by the model `routing` names (the upgrade's when absent). */
  private buildResult(
    chat: ChatAnswer,
    attempts: AttemptRecord[],
    verdict: OutputVerdict | undefined,
    routing: RoutingDecision | undefined,
    finishedAt = Date.now(),
  ): JobResult {
    const decision = (routing ?? this.upgradeRouting) as RoutingDecision;
    return buildJobResult(chat, {
      attempts,
      routing: decision,
      verdict,
      finishedAt,
      ...this.context.times,
    });
  }
}
