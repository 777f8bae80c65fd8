import {
  type AttemptRecord,
  type BatchStopReason,
  type CostLedger,
  completedBatchLine,
  type FilterPolicyStore,
  failedBatchLine,
  type JobFailure,
  type JobProgress,
  type LedgerWrite,
  type Logger,
  ledgerLinesFromAttempts,
  type ModelCatalog,
  skippedBatchLine,
  type TokenCounts,
} from '@llmq/core';
import type { JobRun, JobSink, ObservedJob, OutputVerdict } from '@llmq/runner';
import type { Tracer } from '@opentelemetry/api';
import { type Job, UnrecoverableError } from 'bullmq';
import { type BatchLineRecorder, finishBatchLine } from './finish-batch-line';

/** What both kinds of batch line (chat, embeddings/completions) are run with. */
export interface LinePipelineOptions extends BatchLineRecorder {
  catalog: ModelCatalog;
  logger: Logger;
  /** Tracer for line and provider spans; the no-op tracer when absent (tracing off). */
  tracer?: Tracer;
  /**
   * Tenants' filter policies: a line's inputs pass the input filter (a batch file never went
   * through the API's; redacted text is what the provider sees) and a chat answer the output
   * filter, as a prompt job's do. Absent, lines are not filtered.
   */
  filterPolicies?: FilterPolicyStore;
  /**
   * The cost ledger: each line's billed calls (its share of a micro-batched call) are written
   * with the record that ends it, which also releases the line's part of its batch's budget
   * reservation.
   */
  ledger?: CostLedger;
}

/** What every batch line's job data holds. */
export interface LineData {
  batchId: string;
  index: number;
  customId: string;
  tenant: string;
  model: string;
  createdAt: number;
  progress?: JobProgress;
  /** The line's endpoint, when not a chat completion's (a failure is written in its dialect). */
  endpoint?: string;
}

/** A line's answer as its output file holds it. */
export interface RenderedLine {
  /** The output line's `response.request_id`; default `<batch>-<index>`. */
  responseId?: string;
  body: unknown;
  usage: TokenCounts;
}

/** What a line's ledger write does besides billing its calls. */
export interface LineLedgerOptions {
  /**
   * Frees the line's part of its batch's budget reservation (default true); false for the
   * calls of a re-run of a line recorded before, whose record freed it.
   */
  freesReservation?: boolean;
}

/**
 * A line's ledger write: its calls billed, and (unless `freesReservation` is false) its part of
 * its batch's budget reservation freed, `partNanoUsd` being the estimate ingest reserved for it.
 */
export function lineLedgerWrite(
  ledger: CostLedger | undefined,
  data: Pick<LineData, 'tenant' | 'batchId'>,
  attempts: Parameters<typeof ledgerLinesFromAttempts>[0],
  partNanoUsd: () => number,
  { freesReservation = true }: LineLedgerOptions = {},
): LedgerWrite | undefined {
  return ledger?.write(
    data.tenant,
    ledgerLinesFromAttempts(attempts),
    freesReservation ? { releasePart: { id: data.batchId, nanoUsd: partNanoUsd() } } : {},
  );
}

/** One run of a batch line: its stages, its ledger write and how its answer is rendered. */
export interface LineRun<Answer> extends Omit<JobRun<Answer>, 'complete' | 'fail'> {
  /** The line's ledger write: its billed calls, its part of the batch's reservation freed. */
  ledger(attempts: readonly AttemptRecord[], options?: LineLedgerOptions): LedgerWrite | undefined;
  render(answer: Answer, verdict?: OutputVerdict): RenderedLine;
  /**
   * The error-file line of a failure the provider would have answered with an HTTP error of
   * its own words (see `outputLimitBatchLine`); undefined (or absent): `failedBatchLine`.
   */
  failedLine?(failure: JobFailure, requestId: string): string | undefined;
}

export interface LineSinkOptions<Data extends LineData, Answer> extends BatchLineRecorder {
  schema: { safeParse(value: unknown): { success: true; data: Data } | { success: false } };
  /** Returns the batch's stop reason (cancelled, expired), cached. */
  stopReasonOf: (batchId: string) => Promise<BatchStopReason | undefined>;
  /** The ledger write of a line skipped because its batch stopped. */
  skippedLedger(data: Data): LedgerWrite | undefined;
  logger: Logger;
  /** Opens the run of a line whose batch still runs. */
  openRun(
    data: Data,
    requestId: string,
    observed: ObservedJob,
    log: Record<string, unknown>,
  ): LineRun<Answer>;
}

/**
 * The sink shared by batch lines: a line whose batch is stopping is skipped; otherwise its
 * answer goes to the batch's output file, its failure to the error file, once (BullMQ sees
 * the line completed either way: the batch, not the queue, holds its outcome).
 */
export function createLineSink<Data extends LineData, Answer>(
  options: LineSinkOptions<Data, Answer>,
): JobSink<Data, Answer> {
  const requestIdOf = (data: Data) => `${data.batchId}-${data.index}`;
  return {
    events: 'batch-line',
    async parse(job: Job) {
      const parsed = options.schema.safeParse(job.data);
      if (!parsed.success) throw new UnrecoverableError('invalid batch line data');
      return parsed.data;
    },
    identity: (data) => ({ ...data, jobId: requestIdOf(data) }),
    logFields: (data) => ({ batch_id: data.batchId, line_index: data.index }),
    async open(_job, data, observed, log) {
      const stopReason = await options.stopReasonOf(data.batchId);
      if (stopReason) {
        const line = skippedBatchLine(data.customId, stopReason);
        const ledger = options.skippedLedger(data);
        await finishBatchLine(options, data, { skipped: stopReason }, line, undefined, ledger);
        observed.skipped();
        return undefined;
      }
      observed.started(Date.now());
      const requestId = requestIdOf(data);
      const run = options.openRun(data, requestId, observed, log);
      // The calls this run made itself (the rest came with the job from earlier runs): billed
      // on their own if an earlier run recorded the line already (see `finishBatchLine`).
      const carried = data.progress?.attempts.length ?? 0;
      const rerunLedger = (attempts: readonly AttemptRecord[]) => {
        const own = attempts.slice(carried);
        return own.length > 0 ? run.ledger(own, { freesReservation: false }) : undefined;
      };
      return {
        ...run,
        async complete(answer, attempts, verdict) {
          const { responseId, body, usage } = run.render(answer, verdict);
          const line = completedBatchLine(data.customId, responseId ?? requestId, body);
          await finishBatchLine(
            options,
            data,
            'completed',
            line,
            usage,
            run.ledger(attempts),
            rerunLedger(attempts),
          );
          options.logger.debug('batch-line-end', {
            event: 'batch-line-end',
            ...log,
            ...run.answeredBy?.(answer),
            calls: attempts.length,
            input_tokens: usage.inputTokens,
            output_tokens: usage.outputTokens,
          });
        },
        async fail(failure, attempts) {
          const line =
            run.failedLine?.(failure, requestId) ??
            failedBatchLine(data.customId, requestId, failure, data);
          await finishBatchLine(
            options,
            data,
            'failed',
            line,
            undefined,
            run.ledger(attempts),
            rerunLedger(attempts),
          );
        },
      };
    },
  };
}
