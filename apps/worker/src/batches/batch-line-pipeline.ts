import {
  type AttemptRecord,
  type BatchLineJobData,
  type BatchStopReason,
  batchLineJobDataSchema,
  type FilterPolicy,
  lineCostNanoUsd,
  type OutputLimitRefusal,
  outputLimitBatchLine,
  outputLimitRefusalOf,
  type RequestExecutor,
  routeJob,
  tracerName,
} from '@llmq/core';
import {
  asksForJson,
  type ChatAnswer,
  chatAnsweredBy,
  chatOutput,
  createJobRunner,
  routeRejected,
  runChatStage,
  type StageOutcome,
} from '@llmq/runner';
import { trace } from '@opentelemetry/api';
import { filterLineInput } from './line-input-filter';
import {
  createLineSink,
  type LineLedgerOptions,
  type LinePipelineOptions,
  type LineRun,
  lineLedgerWrite,
} from './line-sink';
import { renderChatLine } from './render-chat-line';
import { createStopReasonCache } from './stop-reason-cache';

export interface BatchLinePipelineOptions extends LinePipelineOptions {
  /**
   * The provider stage shared with prompt jobs: routing's fallback chain, retries, circuit
   * breakers (see @llmq/core `createRequestExecutor`).
   */
  execute: RequestExecutor;
  /** The batch stop-reason cache, shared with the embeddings/completions lines; default its own. */
  stopReasonOf?: (batchId: string) => Promise<BatchStopReason | undefined>;
}

/**
 * Runs chat batch lines (bulk lane) through the job runner, as prompt jobs: skip a line whose
 * batch is stopping, else filter its prompt, route it, run the provider stage (fallback chain,
 * retries, circuit breakers, parking on a long Retry-After) and record its answer in the
 * batch's output file or its failure in the error file, once.
 */
export function createBatchLinePipeline(options: BatchLinePipelineOptions) {
  const tracer = options.tracer ?? trace.getTracer(tracerName);
  const { catalog, logger } = options;
  // The line's ledger write, its share of the batch's reservation freed. `inputTokens`: the
  // router's count, when routing ran (saves counting the prompt again).
  const ledgerOf =
    (data: BatchLineJobData, inputTokens?: () => number | undefined) =>
    (attempts: readonly AttemptRecord[], ledgerOptions?: LineLedgerOptions) =>
      lineLedgerWrite(
        options.ledger,
        data,
        attempts,
        () => lineCostNanoUsd(catalog, data, inputTokens?.()),
        ledgerOptions,
      );
  const sink = createLineSink<BatchLineJobData, ChatAnswer>({
    ...options,
    schema: batchLineJobDataSchema,
    stopReasonOf: options.stopReasonOf ?? createStopReasonCache(options.batches),
    skippedLedger: (data) => ledgerOf(data)([]),
    openRun(data, requestId, observed, log): LineRun<ChatAnswer> {
      let policy: FilterPolicy | undefined;
      let inputTokens: number | undefined;
      // A limit over the routed model's most: the line answers it in its provider's words.
      let outputLimitRefusal: OutputLimitRefusal | undefined;
      return {
        async call(): Promise<StageOutcome<ChatAnswer>> {
          policy = await options.filterPolicies?.policyFor(data.tenant);
          const request = policy ? filterLineInput(data.request, policy) : data.request;
          if ('failure' in request) {
            logger.warn('batch-line-input-rejected', {
              event: 'batch-line-fail',
              ...log,
              error_code: request.failure.code,
              detectors: request.detectors,
            });
            return { kind: 'rejected', failure: request.failure };
          }
          // Routed at run time, like prompt jobs: the catalog may have changed since ingest.
          const route = routeJob(catalog, { ...data, request });
          if (!route.ok) {
            outputLimitRefusal = outputLimitRefusalOf(route);
            return routeRejected(route);
          }
          inputTokens = route.decision.input_tokens;
          return runChatStage({
            execute: options.execute,
            decision: route.decision,
            request,
            ...(data.serviceTier === 'flex' && data.completeBy !== undefined
              ? { flex: { deadline: data.completeBy } }
              : {}),
            progress: data.progress,
            requestId,
            log,
            context: observed.context,
            telemetry: { tracer, logger, metrics: options.metrics },
          });
        },
        output: chatOutput(async () => policy, asksForJson(data.request)),
        answeredBy: chatAnsweredBy,
        ledger: ledgerOf(data, () => inputTokens),
        render: (answer, verdict) => renderChatLine(data, requestId, answer, verdict),
        failedLine: (failure, lineRequestId) =>
          outputLimitRefusal !== undefined && failure.code === 'context_window_exceeded'
            ? outputLimitBatchLine(data.customId, lineRequestId, outputLimitRefusal, data)
            : undefined,
      };
    },
  });
  return createJobRunner(sink, { tracer, logger, metrics: options.metrics });
}
