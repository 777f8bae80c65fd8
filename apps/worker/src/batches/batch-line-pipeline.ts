import {
  type AttemptRecord,
  type BatchLineJobData,
  type BatchStopReason,
  type BatchStore,
  batchLineJobDataSchema,
  type CostLedger,
  type FilterPolicy,
  type FilterPolicyStore,
  failureCodeForRoute,
  inspectInput,
  type LlmqMetrics,
  type Logger,
  ledgerLinesFromAttempts,
  lineCostNanoUsd,
  type ModelCatalog,
  type RequestExecutor,
  routeRequest,
  toChatCompletionBody,
  tracerName,
} from '@llmq/core';
import { type Tracer, trace } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import { type ChatAnswer, chatAnsweredBy, chatOutput, runChatStage } from '../pipeline/chat-stage';
import { blockingDetectors, createJobRunner, type StageOutcome } from '../pipeline/job-runner';
import { createLineSink, type LineRun } from './line-sink';
import { createStopReasonCache } from './stop-reason-cache';

export interface BatchLinePipelineOptions {
  batches: BatchStore;
  catalog: ModelCatalog;
  /**
   * The provider stage shared with prompt jobs: routing's fallback chain, retries, circuit
   * breakers (see @llmq/core `createRequestExecutor`).
   */
  execute: RequestExecutor;
  /** The `batch-control` queue, where the last line of a batch queues its finalisation. */
  controlQueue: Queue;
  logger: Logger;
  /** Tracer for line and provider spans; the no-op tracer when absent (tracing off). */
  tracer?: Tracer;
  /** This process's metrics; absent in tests that do not read them. */
  metrics?: LlmqMetrics;
  /**
   * Tenants' filter policies: a line's prompt passes the input filter (a batch file never
   * went through the API's) and its answer the output filter, as a prompt job's do.
   * Absent, lines are not filtered.
   */
  filterPolicies?: FilterPolicyStore;
  /** The batch stop-reason cache, shared with the embeddings/completions lines; default its own. */
  stopReasonOf?: (batchId: string) => Promise<BatchStopReason | undefined>;
  /**
   * The cost ledger: each line's billed calls are written with the record that ends it, which
   * also releases the line's share of its batch's budget reservation.
   */
  ledger?: CostLedger;
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
    (attempts: readonly AttemptRecord[]) =>
      options.ledger?.write(data.tenant, ledgerLinesFromAttempts(attempts), {
        releasePart: {
          id: data.batchId,
          nanoUsd: lineCostNanoUsd(catalog, data.model, data.request, inputTokens?.()),
        },
      });
  const sink = createLineSink<BatchLineJobData, ChatAnswer>({
    ...options,
    schema: batchLineJobDataSchema,
    stopReasonOf: options.stopReasonOf ?? createStopReasonCache(options.batches),
    skippedLedger: (data) => ledgerOf(data)([]),
    openRun(data, requestId, observed, log): LineRun<ChatAnswer> {
      let policy: FilterPolicy | undefined;
      let inputTokens: number | undefined;
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
          const route = routeRequest(catalog, {
            model: data.model,
            messages: request.messages,
            maxTokens: request.maxTokens,
          });
          if (!route.ok)
            return {
              kind: 'rejected',
              failure: { code: failureCodeForRoute(route.code), message: route.message },
            };
          inputTokens = route.decision.input_tokens;
          return runChatStage({
            execute: options.execute,
            decision: route.decision,
            request,
            progress: data.progress,
            requestId,
            log,
            context: observed.context,
            telemetry: { tracer, logger, metrics: options.metrics },
          });
        },
        output: chatOutput(async () => policy),
        answeredBy: chatAnsweredBy,
        ledger: ledgerOf(data, () => inputTokens),
        render({ answer }, verdict) {
          const text = verdict ? (verdict.texts[0] ?? '') : answer.text;
          const body = toChatCompletionBody({ ...answer, text }, Date.now());
          const { inputTokens, outputTokens } = answer.usage;
          return { responseId: answer.responseId, body, usage: { inputTokens, outputTokens } };
        },
      };
    },
  });
  return createJobRunner(sink, { tracer, logger, metrics: options.metrics });
}

/**
 * Input filter, at run time: the policy in force when the line runs, as for prompt jobs
 * (whose filter runs at submit). A blocked line fails without a provider call; redacted text
 * is what the provider sees.
 */
function filterLineInput(
  request: BatchLineJobData['request'],
  policy: FilterPolicy,
):
  | BatchLineJobData['request']
  | { failure: { code: 'content_filtered'; message: string }; detectors: string[] } {
  const verdict = inspectInput(
    request.messages.map((message, index) => ({
      location: `messages[${index}]`,
      text: message.content,
    })),
    policy,
  );
  if (verdict.blocked)
    return {
      failure: {
        code: 'content_filtered',
        message: `the input filter rejected the request: ${verdict.reason ?? 'policy'}`,
      },
      detectors: blockingDetectors(verdict.findings),
    };
  return {
    ...request,
    messages: request.messages.map((message, index) => ({
      ...message,
      content: verdict.texts[index] ?? message.content,
    })),
  };
}
