import {
  type AttemptRecord,
  answerChoicesTextsOf,
  type BatchLineJobData,
  type BatchStopReason,
  type CostLedger,
  completedBatchLine,
  costOfUsage,
  type FilterPolicyStore,
  failedBatchLine,
  inspectOutput,
  type JobFailure,
  jobCatalog,
  ledgerLinesFromAttempts,
  lineCostNanoUsd,
  type ModelCatalog,
  type ProviderBatchRecord,
  type ProviderBatchResult,
  type RecordLineResult,
  skippedBatchLine,
  toAttemptUsage,
} from '@llmq/core';
import { asksForJson, chatOutput, type OutputVerdict, recordCallMetrics } from '@llmq/runner';
import type { Queue } from 'bullmq';
import { type BatchLineRecorder, finishBatchLine } from '../batches/finish-batch-line';
import { renderChatLine } from '../batches/render-chat-line';

/** Where the lines of provider batches end. */
export interface ProviderLineSettlerOptions extends BatchLineRecorder {
  catalog: ModelCatalog;
  /** The bulk lane, where lines llmq runs itself are queued. */
  lineQueue: Queue;
  /** Attempts of a line llmq runs itself (env `JOB_ATTEMPTS`). */
  attempts: number;
  filterPolicies?: FilterPolicyStore;
  ledger?: CostLedger;
}

/** What became of one line: recorded now, recorded before, or handed to llmq's own run. */
export type SettledLine = 'recorded' | 'duplicate' | 'rerun';

const requestIdOf = (data: BatchLineJobData) => `${data.batchId}-${data.index}`;

/** A line billed but not recorded (its batch's ingest gave up) counts with the duplicates. */
const settledOf = (result: RecordLineResult): SettledLine =>
  result === 'duplicate' || result === 'billed' ? 'duplicate' : 'recorded';

/**
 * Ends the lines of provider batches through the same record as llmq-run lines (the batch's
 * done bitmap: each line counts once, its ledger write applied with its first record), so
 * `request_counts`, output files, webhooks and the ledger work alike.
 */
export class ProviderLineSettler {
  constructor(private readonly options: ProviderLineSettlerOptions) {}

  /**
   * One result of an ended provider batch. An answer is filtered, rendered and billed at the
   * batch tier's prices; a line the provider failed or never ran is run by llmq on standard,
   * unless the llmq batch stopped (then it ends skipped).
   */
  async settle(
    record: ProviderBatchRecord,
    data: BatchLineJobData,
    result: ProviderBatchResult,
    stopReason: BatchStopReason | undefined,
    now = Date.now(),
  ): Promise<SettledLine> {
    if (result.ok) return this.answered(record, data, result.result, now);
    return this.unanswered(data, stopReason);
  }

  /** A line the provider did not answer: llmq runs it itself, or it ends skipped. */
  async unanswered(
    data: BatchLineJobData,
    stopReason: BatchStopReason | undefined,
  ): Promise<SettledLine> {
    if (stopReason) {
      const line = skippedBatchLine(data.customId, stopReason);
      return settledOf(
        await finishBatchLine(
          this.options,
          data,
          { skipped: stopReason },
          line,
          undefined,
          this.ledgerOf(data, []),
        ),
      );
    }
    // Recorded already (input-filtered, or run by llmq before a crash): nothing to run.
    if (await this.options.batches.isLineRecorded(data.batchId, data.index)) return 'duplicate';
    const { serviceTier: _tier, ...standard } = data;
    // The line's usual job id: a re-poll after a crash queues it once.
    await this.options.lineQueue.add('batch-line', standard, {
      ...jobCatalog['batch-line'].defaultOptions,
      attempts: this.options.attempts,
      jobId: requestIdOf(data),
    });
    return 'rerun';
  }

  /** A line that fails before it reaches the provider (its input filter blocked it). */
  async failed(data: BatchLineJobData, failure: JobFailure): Promise<SettledLine> {
    const line = failedBatchLine(data.customId, requestIdOf(data), failure, data);
    const ledger = this.ledgerOf(data, []);
    return settledOf(await finishBatchLine(this.options, data, 'failed', line, undefined, ledger));
  }

  private async answered(
    record: ProviderBatchRecord,
    data: BatchLineJobData,
    answer: Extract<ProviderBatchResult, { ok: true }>['result'],
    now: number,
  ): Promise<SettledLine> {
    const entry = this.options.catalog.resolve(data.model);
    if (!entry) return this.unanswered(data, undefined);
    const startedAt = record.submittedAt ?? record.createdAt;
    const attempt: AttemptRecord = {
      provider: record.provider,
      model: entry.id,
      outcome: 'success',
      started_at: startedAt,
      latency_ms: Math.max(0, now - startedAt),
      cost_usd: costOfUsage(entry, answer.usage, 'batch'),
      usage: toAttemptUsage(answer.usage),
      service_tier: 'batch',
    };
    const chat = { answer, entry };
    const verdict = await this.verdictOn(data, chat);
    const requestId = requestIdOf(data);
    const ledger = this.ledgerOf(data, [attempt]);
    let result: RecordLineResult;
    if (verdict?.blocked) {
      const failure: JobFailure = {
        code: 'output_rejected',
        message: `the output filter blocked the answer: ${verdict.reason ?? 'policy'}`,
        provider: record.provider,
      };
      const line = failedBatchLine(data.customId, requestId, failure, data);
      result = await finishBatchLine(this.options, data, 'failed', line, undefined, ledger);
    } else {
      const { responseId, body, usage } = renderChatLine(data, requestId, chat, verdict);
      const line = completedBatchLine(data.customId, responseId ?? requestId, body);
      result = await finishBatchLine(this.options, data, 'completed', line, usage, ledger);
    }
    if (result !== 'duplicate') recordCallMetrics(this.options.metrics, [attempt], 0);
    return settledOf(result);
  }

  /** The output filter's verdict, as the job runner reaches it for llmq-run lines. */
  private async verdictOn(
    data: BatchLineJobData,
    chat: Parameters<typeof renderChatLine>[2],
  ): Promise<OutputVerdict | undefined> {
    const policy = await this.options.filterPolicies?.policyFor(data.tenant);
    if (!policy) return undefined;
    const verdict = inspectOutput(answerChoicesTextsOf(chat.answer), policy);
    const output = chatOutput(async () => policy, asksForJson(data.request));
    const unredactable = verdict.blocked ? undefined : output.unredactable?.(chat, verdict);
    if (unredactable !== undefined) {
      verdict.blocked = true;
      verdict.reason = `${unredactable}, so it was blocked instead`;
    }
    return verdict;
  }

  /** The line's ledger write: its billed calls, its part of the batch's reservation freed. */
  private ledgerOf(data: BatchLineJobData, attempts: readonly AttemptRecord[]) {
    return this.options.ledger?.write(data.tenant, ledgerLinesFromAttempts(attempts), {
      releasePart: { id: data.batchId, nanoUsd: lineCostNanoUsd(this.options.catalog, data) },
    });
  }
}
