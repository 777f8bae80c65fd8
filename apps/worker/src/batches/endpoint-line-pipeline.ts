import {
  type BatchedModelCalls,
  type BatchStopReason,
  type BatchStore,
  type CostLedger,
  type EndpointLineJobData,
  endpointLineCostNanoUsd,
  endpointLineJobDataSchema,
  type FilterPolicyStore,
  inspectInput,
  type JobFailure,
  type LlmqMetrics,
  type Logger,
  ledgerLinesFromAttempts,
  type ModelCatalog,
  type ModelEntry,
  type RetryPolicy,
  toEmbeddingsBody,
  toTextCompletionBody,
  tracerName,
} from '@llmq/core';
import { type Context, type Tracer, trace } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import { createJobRunner, type StageOutcome } from '../pipeline/job-runner';
import { endpointStageOutcome } from './endpoint-stage';
import { createLineSink, type RenderedLine } from './line-sink';

export interface EndpointLinePipelineOptions {
  batches: BatchStore;
  catalog: ModelCatalog;
  /** The micro-batched provider stage of embeddings and completions lines. */
  calls: BatchedModelCalls;
  /**
   * A Retry-After longer than `maxInlineWaitMs` parks the line, at most
   * `maxRetriesPerModel + 1` times (as a chat chain retries a model that often).
   */
  policy: Pick<RetryPolicy, 'maxInlineWaitMs' | 'maxRetriesPerModel'>;
  /** The `batch-control` queue, where the last line of a batch queues its finalisation. */
  controlQueue: Queue;
  /** Returns the batch's stop reason (cancelled, expired), cached like the chat lines'. */
  stopReasonOf: (batchId: string) => Promise<BatchStopReason | undefined>;
  logger: Logger;
  tracer?: Tracer;
  metrics?: LlmqMetrics;
  /**
   * Tenants' filter policies: each input or prompt passes the input filter before it joins a
   * shared call (blocked: the line fails `content_filtered`; redacted: the provider sees the
   * redacted text). Absent, lines are not filtered.
   */
  filterPolicies?: FilterPolicyStore;
  /**
   * The cost ledger: each line's share of its calls is written with the record that ends it,
   * which also releases the line's share of its batch's budget reservation.
   */
  ledger?: CostLedger;
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
    (data: EndpointLineJobData) => (attempts: Parameters<typeof ledgerLinesFromAttempts>[0]) =>
      options.ledger?.write(data.tenant, ledgerLinesFromAttempts(attempts), {
        releasePart: {
          id: data.batchId,
          nanoUsd: endpointLineCostNanoUsd(catalog, data.model, data),
        },
      });
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
          const line = await filterEndpointInput(options, data);
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

/** The line's catalog entry, or why it cannot serve the line's endpoint now. */
function resolveEntry(
  catalog: ModelCatalog,
  data: EndpointLineJobData,
): { entry: ModelEntry } | { failure: JobFailure } {
  const entry = catalog.resolve(data.model);
  if (!entry)
    return {
      failure: {
        code: 'model_unavailable',
        message: `model "${data.model}" is no longer in the catalog`,
      },
    };
  const reason = catalog.unavailability(
    entry,
    data.endpoint === '/v1/embeddings' ? 'embeddings' : 'completions',
  );
  if (!reason) return { entry };
  return {
    failure: {
      code: 'model_unavailable',
      message: `model "${entry.id}" cannot serve ${data.endpoint} here (${reason.replace(/_/g, ' ')})`,
    },
  };
}

/** The line as the provider will see it (inputs redacted), or why the input filter refused it. */
async function filterEndpointInput(
  options: EndpointLinePipelineOptions,
  data: EndpointLineJobData,
): Promise<EndpointLineJobData | { failure: JobFailure }> {
  if (!options.filterPolicies) return data;
  const texts =
    data.endpoint === '/v1/embeddings' ? data.embedding.inputs : data.completion.prompts;
  const verdict = inspectInput(
    texts.map((text, index) => ({ location: `input[${index}]`, text })),
    await options.filterPolicies.policyFor(data.tenant),
  );
  if (verdict.blocked)
    return {
      failure: {
        code: 'content_filtered',
        message: `the input filter rejected the request: ${verdict.reason ?? 'policy'}`,
      },
    };
  const redacted = verdict.texts;
  if (!redacted.some((text, index) => text !== texts[index])) return data;
  return data.endpoint === '/v1/embeddings'
    ? { ...data, embedding: { ...data.embedding, inputs: redacted } }
    : { ...data, completion: { ...data.completion, prompts: redacted } };
}

/** The line's share of a micro-batched call, rendered as its output-file body. */
async function callEndpoint(
  options: EndpointLinePipelineOptions,
  entry: ModelEntry,
  line: EndpointLineJobData,
  requestId: string,
  context: Context,
): Promise<StageOutcome<RenderedLine>> {
  const previous = line.progress?.attempts ?? [];
  if (line.endpoint === '/v1/embeddings') {
    const { encodingFormat } = line.embedding;
    const outcome = await options.calls.embed(entry, line.embedding, requestId, context);
    return endpointStageOutcome(
      outcome.ok
        ? {
            ...outcome,
            answer: {
              body: toEmbeddingsBody(outcome.answer, encodingFormat),
              usage: { inputTokens: outcome.answer.inputTokens, outputTokens: 0 },
            },
          }
        : outcome,
      previous,
      options.policy,
    );
  }
  const outcome = await options.calls.complete(entry, line.completion, requestId, context);
  return endpointStageOutcome(
    outcome.ok
      ? {
          ...outcome,
          answer: {
            body: toTextCompletionBody(outcome.answer, Date.now()),
            usage: {
              inputTokens: outcome.answer.inputTokens,
              outputTokens: outcome.answer.outputTokens,
            },
          },
        }
      : outcome,
    previous,
    options.policy,
  );
}
