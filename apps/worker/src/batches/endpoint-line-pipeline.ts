import {
  type BatchedModelCalls,
  type BatchStopReason,
  type BatchStore,
  type CostLedger,
  completedBatchLine,
  type EndpointLineJobData,
  endpointLineCostNanoUsd,
  endpointLineJobDataSchema,
  type FilterPolicyStore,
  failedBatchLine,
  inspectInput,
  type LedgerWrite,
  type LineCallOutcome,
  type LlmqMetrics,
  type Logger,
  ledgerLinesFromAttempts,
  type ModelCatalog,
  type RetryPolicy,
  skippedBatchLine,
  toEmbeddingsBody,
  toTextCompletionBody,
  tracerName,
} from '@llmq/core';
import { type Context, type Tracer, trace } from '@opentelemetry/api';
import type { Job, Queue } from 'bullmq';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { describeFailure } from '../pipeline/describe-failure';
import { attemptOutcomeOf, createJobSpans } from '../pipeline/job-telemetry';
import { recordCallMetrics } from '../pipeline/record-call-metrics';
import { finishBatchLine } from './batch-line-pipeline';

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
 * Runs one `/v1/embeddings` or `/v1/completions` batch line: skip it if the batch is
 * stopping; otherwise hand it to the micro-batcher of its model (it shares one provider call
 * with other lines of that model arriving within `batching.max_wait_ms`) and record its own
 * answer or error once. A retryable failure is retried by BullMQ (the job's attempts and
 * backoff, like chat lines) and a long Retry-After parks the line without spending an
 * attempt; the chat lines' fallback chain does not apply (see `BatchedModelCalls`).
 */
export function createEndpointLinePipeline(options: EndpointLinePipelineOptions) {
  const { catalog, calls, logger, metrics } = options;
  const tracer = options.tracer ?? trace.getTracer(tracerName);
  const jobSpans = createJobSpans({ tracer, logger, metrics });
  // The line's ledger write: its share of the calls, and its part of the batch's reservation
  // freed (the same estimate ingest reserved for it).
  const ledgerWrite = (
    data: EndpointLineJobData,
    attempts: Parameters<typeof ledgerLinesFromAttempts>[0],
  ): LedgerWrite | undefined =>
    options.ledger?.write(data.tenant, ledgerLinesFromAttempts(attempts), {
      releasePart: {
        id: data.batchId,
        nanoUsd: endpointLineCostNanoUsd(catalog, data.model, data),
      },
    });

  return async function runEndpointLine(job: Job, token?: string): Promise<void> {
    const parsed = endpointLineJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('invalid batch line data');
    const data = parsed.data;
    const requestId = `${data.batchId}-${data.index}`;
    const observed = jobSpans.begin(job, { ...data, jobId: requestId });
    try {
      const log = { ...observed.logFields, batch_id: data.batchId, line_index: data.index };
      const stopReason = await options.stopReasonOf(data.batchId);
      if (stopReason) {
        await finishBatchLine(
          options,
          data,
          { skipped: stopReason },
          skippedBatchLine(data.customId, stopReason),
          undefined,
          ledgerWrite(data, []),
        );
        observed.skipped();
        return;
      }
      observed.started(Date.now());
      await runLine(job, data, requestId, log, token, observed.context);
      observed.end('completed');
    } catch (error) {
      observed.end(attemptOutcomeOf(job, error), error);
      throw error;
    }
  };

  async function runLine(
    job: Job,
    data: EndpointLineJobData,
    requestId: string,
    log: Record<string, unknown>,
    token: string | undefined,
    context: Context,
  ): Promise<void> {
    // Checked at run time, like chat routing: the catalog may have changed since ingest.
    const entry = catalog.resolve(data.model);
    const endpoint = data.endpoint === '/v1/embeddings' ? 'embeddings' : 'completions';
    const unavailable = entry ? catalog.unavailability(entry, endpoint) : undefined;
    if (!entry || unavailable) {
      await finishBatchLine(
        options,
        data,
        'failed',
        failedBatchLine(data.customId, requestId, {
          code: 'model_unavailable',
          message: entry
            ? `model "${entry.id}" cannot serve ${data.endpoint} here (${unavailable?.replace(/_/g, ' ')})`
            : `model "${data.model}" is no longer in the catalog`,
        }),
        undefined,
        ledgerWrite(data, []),
      );
      return;
    }

    // The line as the provider will see it (inputs redacted by the input filter).
    let line = data;
    if (options.filterPolicies) {
      const texts =
        data.endpoint === '/v1/embeddings' ? data.embedding.inputs : data.completion.prompts;
      const verdict = inspectInput(
        texts.map((text, index) => ({ location: `input[${index}]`, text })),
        await options.filterPolicies.policyFor(data.tenant),
      );
      if (verdict.blocked) {
        logger.warn('batch-line-input-rejected', {
          event: 'batch-line-fail',
          ...log,
          error_code: 'content_filtered',
        });
        await finishBatchLine(
          options,
          data,
          'failed',
          failedBatchLine(data.customId, requestId, {
            code: 'content_filtered',
            message: `the input filter rejected the request: ${verdict.reason ?? 'policy'}`,
          }),
          undefined,
          ledgerWrite(data, []),
        );
        return;
      }
      const redacted = verdict.texts;
      if (redacted.some((text, index) => text !== texts[index])) {
        line =
          data.endpoint === '/v1/embeddings'
            ? { ...data, embedding: { ...data.embedding, inputs: redacted } }
            : { ...data, completion: { ...data.completion, prompts: redacted } };
      }
    }

    if (line.endpoint === '/v1/embeddings') {
      const { encodingFormat } = line.embedding;
      const outcome = await calls.embed(entry, line.embedding, requestId, context);
      await settle(job, data, requestId, log, token, outcome, (answer) => ({
        body: toEmbeddingsBody(answer, encodingFormat),
        usage: { inputTokens: answer.inputTokens, outputTokens: 0 },
      }));
    } else {
      const outcome = await calls.complete(entry, line.completion, requestId, context);
      await settle(job, data, requestId, log, token, outcome, (answer) => ({
        body: toTextCompletionBody(answer, Date.now()),
        usage: { inputTokens: answer.inputTokens, outputTokens: answer.outputTokens },
      }));
    }
    logger.debug('batch-line-end', {
      event: 'batch-line-end',
      ...log,
      provider: entry.provider,
      routed_model: entry.id,
    });
  }

  /** Records a line's answer, or retries, parks or fails it, from its share of a call. */
  async function settle<Answer>(
    job: Job,
    data: EndpointLineJobData,
    requestId: string,
    log: Record<string, unknown>,
    token: string | undefined,
    outcome: LineCallOutcome<Answer>,
    render: (answer: Answer) => {
      body: unknown;
      usage: { inputTokens: number; outputTokens: number };
    },
  ): Promise<void> {
    const previous = data.progress?.attempts.length ?? 0;
    const attempts = [
      ...((data.progress?.attempts ?? []) as unknown as typeof outcome.attempts),
      ...outcome.attempts,
    ];
    recordCallMetrics(metrics, attempts, previous);

    if (!outcome.ok && outcome.throttled) {
      // The model's rate limits are spent: wait in the delayed set, no slot held, no attempt.
      await job.updateData({ ...data, progress: { attempts } });
      logger.info('batch-line-delay', {
        event: 'batch-line-delay',
        ...log,
        reason: outcome.throttled.reason,
        delay_ms: outcome.throttled.waitMs,
      });
      await job.moveToDelayed(Date.now() + outcome.throttled.waitMs, token);
      throw new DelayedError();
    }

    if (!outcome.ok) {
      const { failure, retryable, retryAfterMs } = describeFailure(outcome.error, attempts);
      const { maxInlineWaitMs, maxRetriesPerModel } = options.policy;
      // Calls of this line that asked for a wait too long to hold a worker slot.
      const longWaits = attempts.filter(
        (attempt) => attempt.outcome === 'error' && (attempt.retry_after_ms ?? 0) > maxInlineWaitMs,
      ).length;
      if (
        retryable &&
        retryAfterMs !== undefined &&
        retryAfterMs > maxInlineWaitMs &&
        longWaits <= maxRetriesPerModel + 1
      ) {
        // A long Retry-After: park the line (no worker slot held, no attempt spent); bounded,
        // so a model that always asks to wait ends in the attempts' own accounting.
        await job.updateData({ ...data, progress: { attempts } });
        logger.info('batch-line-delay', {
          event: 'batch-line-delay',
          ...log,
          delay_ms: retryAfterMs,
        });
        await job.moveToDelayed(Date.now() + retryAfterMs, token);
        throw new DelayedError();
      }
      const final = !retryable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      logger.warn(final ? 'batch-line-fail' : 'batch-line-retry', {
        event: final ? 'batch-line-fail' : 'batch-line-retry',
        ...log,
        provider: failure.provider,
        error_code: failure.code,
        status_code: failure.status_code,
        calls: attempts.length,
      });
      if (!final) {
        await job.updateData({ ...data, progress: { attempts } });
        throw new Error(failure.message);
      }
      await finishBatchLine(
        options,
        data,
        'failed',
        failedBatchLine(data.customId, requestId, failure),
        undefined,
        ledgerWrite(data, attempts),
      );
      return;
    }

    const { body, usage } = render(outcome.answer);
    await finishBatchLine(
      options,
      data,
      'completed',
      completedBatchLine(data.customId, requestId, body),
      usage,
      ledgerWrite(data, attempts),
    );
  }
}
