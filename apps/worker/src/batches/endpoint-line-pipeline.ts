import {
  type BatchedModelCalls,
  type BatchStopReason,
  type EndpointLineJobData,
  endpointLineCostNanoUsd,
  endpointLineJobDataSchema,
  type ModelEntry,
  type RetryPolicy,
  tracerName,
} from '@llmq/core';
import { createJobRunner, type StageOutcome } from '@llmq/runner';
import { trace } from '@opentelemetry/api';
import { callEndpoint, resolveEntry } from './endpoint-stage';
import { filterEndpointInput } from './line-input-filter';
import {
  createLineSink,
  type LineLedgerOptions,
  type LinePipelineOptions,
  lineLedgerWrite,
  type RenderedLine,
} from './line-sink';

export interface EndpointLinePipelineOptions extends LinePipelineOptions {
  /** The micro-batched provider stage of embeddings and completions lines. */
  calls: BatchedModelCalls;
  /**
   * A Retry-After longer than `maxInlineWaitMs` parks the line, at most
   * `maxRetriesPerModel + 1` times (as a chat chain retries a model that often).
   */
  policy: Pick<RetryPolicy, 'maxInlineWaitMs' | 'maxRetriesPerModel'>;
  /** Returns the batch's stop reason (cancelled, expired), cached like the chat lines'. */
  stopReasonOf: (batchId: string) => Promise<BatchStopReason | undefined>;
}

/** Whether a bulk-lane job is an embeddings or completions line (chat lines have no `endpoint`). */
export function isEndpointLine(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return false;
  const endpoint = (data as { endpoint?: unknown }).endpoint;
  return endpoint === '/v1/embeddings' || endpoint === '/v1/completions';
}

/**
 * Runs `/v1/embeddings` and `/v1/completions` batch lines through the job runner: a line
 * shares one provider call with other lines of its model arriving within
 * `batching.max_wait_ms` (see `BatchedModelCalls`) and records its own answer or error once.
 * A retryable failure is retried by BullMQ (the job's attempts and backoff, like chat lines)
 * and a long Retry-After parks the line; there is no fallback chain (another embeddings
 * model would answer in another vector space).
 */
export function createEndpointLinePipeline(options: EndpointLinePipelineOptions) {
  const tracer = options.tracer ?? trace.getTracer(tracerName);
  const { catalog, logger } = options;
  // The line's share of the calls, and its part of the batch's reservation freed (the same
  // estimate ingest reserved for it).
  const ledgerOf =
    (data: EndpointLineJobData) =>
    (attempts: Parameters<typeof lineLedgerWrite>[2], ledgerOptions?: LineLedgerOptions) =>
      lineLedgerWrite(
        options.ledger,
        data,
        attempts,
        () => endpointLineCostNanoUsd(catalog, data.model, data),
        ledgerOptions,
      );
  const sink = createLineSink<EndpointLineJobData, RenderedLine>({
    ...options,
    schema: endpointLineJobDataSchema,
    skippedLedger: (data) => ledgerOf(data)([]),
    openRun(data, requestId, observed, log) {
      let entry: ModelEntry | undefined;
      return {
        async call(): Promise<StageOutcome<RenderedLine>> {
          // Checked at run time, like chat routing: the catalog may have changed since ingest.
          const resolved = resolveEntry(catalog, data);
          if ('failure' in resolved) return { kind: 'rejected', failure: resolved.failure };
          entry = resolved.entry;
          const line = await filterEndpointInput(options.filterPolicies, data);
          if ('failure' in line) {
            logger.warn('batch-line-input-rejected', {
              event: 'batch-line-fail',
              ...log,
              error_code: 'content_filtered',
            });
            return { kind: 'rejected', failure: line.failure };
          }
          return callEndpoint(options, resolved.entry, line, requestId, observed.context);
        },
        answeredBy: () => ({ provider: entry?.provider, routed_model: entry?.id }),
        ledger: ledgerOf(data),
        render: (answer) => answer,
      };
    },
  });
  return createJobRunner(sink, { tracer, logger, metrics: options.metrics });
}
