import {
  type AttemptRecord,
  type BatchLineJobData,
  type BatchStopReason,
  type BatchStore,
  batchLineJobDataSchema,
  type CostLedger,
  completedBatchLine,
  type FilterFinding,
  type FilterPolicyStore,
  failedBatchLine,
  failureCodeForRoute,
  inspectInput,
  inspectOutput,
  type JobFailure,
  jobCatalog,
  type LedgerWrite,
  type LlmqMetrics,
  type Logger,
  ledgerLinesFromAttempts,
  lineCostNanoUsd,
  type ModelCatalog,
  observedModel,
  type RequestExecutor,
  routeJob,
  skippedBatchLine,
  toChatCompletionBody,
  tracerName,
} from '@llmq/core';
import { type Tracer, trace } from '@opentelemetry/api';
import type { Job, Queue } from 'bullmq';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { describeFailure } from '../pipeline/describe-failure';
import { attemptOutcomeOf, createJobSpans, type ObservedJob } from '../pipeline/job-telemetry';
import { recordCallMetrics } from '../pipeline/record-call-metrics';
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

/** Queues a batch's finalisation; the job id makes a second request a no-op. */
export async function queueFinalize(controlQueue: Queue, batchId: string): Promise<void> {
  await controlQueue.add(
    'batch-finalize',
    { batchId },
    { ...jobCatalog['batch-finalize'].defaultOptions, jobId: `finalize-${batchId}` },
  );
}

/**
 * Records a line's outcome once (the batch store's done bitmap is the single final write of a
 * line); the line that ends the batch queues its finalisation. A duplicate (the line was
 * recorded by an earlier attempt that then failed to queue the finalisation) checks whether
 * the batch still waits for one. `llm_batch_requests_total` counts only first records.
 */
export async function finishBatchLine(
  options: Pick<BatchLinePipelineOptions, 'batches' | 'controlQueue' | 'metrics'>,
  data: Pick<BatchLineJobData, 'batchId' | 'index'>,
  outcome: 'completed' | 'failed' | { skipped: BatchStopReason },
  line: string,
  usage?: { inputTokens: number; outputTokens: number },
  ledger?: LedgerWrite,
): Promise<void> {
  const stored = typeof outcome === 'string' ? outcome : 'skipped';
  const result = await options.batches.recordLine(
    data.batchId,
    data.index,
    stored,
    line,
    usage,
    undefined,
    ledger,
  );
  if (result !== 'duplicate')
    options.metrics?.batchRequests.inc({
      outcome: typeof outcome === 'string' ? outcome : outcome.skipped,
    });
  if (result === 'last') {
    await queueFinalize(options.controlQueue, data.batchId);
    return;
  }
  if (result === 'duplicate') {
    const batch = await options.batches.get(data.batchId);
    const { total, completed, failed, skipped } = batch?.counts ?? {};
    if (
      batch &&
      ['in_progress', 'finalizing', 'cancelling'].includes(batch.status) &&
      completed! + failed! + skipped! >= total!
    )
      await queueFinalize(options.controlQueue, data.batchId);
  }
}

/**
 * Runs one batch line (bulk lane) through the same stages as a prompt job: skip it if the
 * batch is stopping, else route it, run the provider stage (fallback chain, retries, circuit
 * breakers, parking on a long Retry-After) with the same spans, metrics and logs, and record
 * the answer in the batch's output or the failure in its error lines, once.
 */
export function createBatchLinePipeline(options: BatchLinePipelineOptions) {
  const { batches, catalog, execute, logger, metrics } = options;
  const tracer = options.tracer ?? trace.getTracer(tracerName);
  const jobSpans = createJobSpans({ tracer, logger, metrics });
  const stopReasonOf = options.stopReasonOf ?? createStopReasonCache(batches);

  return async function runBatchLine(job: Job, token?: string): Promise<void> {
    const parsed = batchLineJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('invalid batch line data');
    const data = parsed.data;
    const requestId = `${data.batchId}-${data.index}`;
    const observed = jobSpans.begin(job, {
      jobId: requestId,
      tenant: data.tenant,
      model: data.model,
      createdAt: data.createdAt,
    });
    try {
      await runLine(job, data, requestId, observed, token);
      observed.end('completed');
    } catch (error) {
      observed.end(attemptOutcomeOf(job, error), error);
      throw error;
    }
  };

  async function runLine(
    job: Job,
    data: BatchLineJobData,
    requestId: string,
    observed: ObservedJob,
    token: string | undefined,
  ): Promise<void> {
    const log = { ...observed.logFields, batch_id: data.batchId, line_index: data.index };
    // The line's ledger write: its billed calls, and its share of the batch's reservation freed.
    // `inputTokens`: the router's count, when routing ran (saves counting the prompt again).
    const settle = (attempts: readonly AttemptRecord[], inputTokens?: number) =>
      options.ledger?.write(data.tenant, ledgerLinesFromAttempts(attempts), {
        releasePart: {
          id: data.batchId,
          nanoUsd: lineCostNanoUsd(catalog, data, inputTokens),
        },
      });
    // Ends the line as failed (its error-file entry), with its ledger write.
    const failLine = (failure: JobFailure, ledgerWrite: ReturnType<typeof settle>) =>
      finishBatchLine(
        options,
        data,
        'failed',
        failedBatchLine(data.customId, requestId, failure),
        undefined,
        ledgerWrite,
      );
    const stopReason = await stopReasonOf(data.batchId);
    if (stopReason) {
      await finishBatchLine(
        options,
        data,
        { skipped: stopReason },
        skippedBatchLine(data.customId, stopReason),
        undefined,
        settle([]),
      );
      observed.skipped();
      return;
    }
    observed.started(Date.now());

    // Input filter, at run time: the policy in force when the line runs, as for prompt jobs
    // (whose filter runs at submit). A blocked line fails without a provider call; redacted
    // text is what the provider sees.
    const policy = options.filterPolicies
      ? await options.filterPolicies.policyFor(data.tenant)
      : undefined;
    let request = data.request;
    if (policy) {
      const verdict = inspectInput(
        request.messages.map((message, index) => ({
          location: `messages[${index}]`,
          text: message.content,
        })),
        policy,
      );
      if (verdict.blocked) {
        const failure: JobFailure = {
          code: 'content_filtered',
          message: `the input filter rejected the request: ${verdict.reason ?? 'policy'}`,
        };
        logger.warn('batch-line-input-rejected', {
          event: 'batch-line-fail',
          ...log,
          error_code: failure.code,
          detectors: blockingDetectors(verdict.findings),
        });
        await failLine(failure, settle([]));
        return;
      }
      request = {
        ...request,
        messages: request.messages.map((message, index) => ({
          ...message,
          content: verdict.texts[index] ?? message.content,
        })),
      };
    }

    // Routed at run time, like prompt jobs: the catalog may have changed since ingest.
    const route = routeJob(catalog, { ...data, request });
    if (!route.ok) {
      const failure: JobFailure = { code: failureCodeForRoute(route.code), message: route.message };
      await failLine(failure, settle([]));
      return;
    }

    const callStartedAt = performance.now();
    const outcome = await execute({
      decision: route.decision,
      request,
      progress: data.progress as { attempts: AttemptRecord[] } | undefined,
      headers: (callNumber) => ({
        'x-llmq-job-id': requestId,
        'x-llmq-attempt': String(callNumber),
      }),
      logFields: log,
      wrapModel: (entry, model) =>
        observedModel(
          model,
          { tracer, logger, metrics },
          { parent: observed.context, catalogModel: entry.id, logFields: log },
        ),
    });
    const attempts = outcome.attempts;
    recordCallMetrics(
      metrics,
      attempts,
      (data.progress as { attempts?: unknown[] } | undefined)?.attempts?.length ?? 0,
    );

    if (outcome.kind === 'wait') {
      // A long Retry-After: park the line (no worker slot held, no attempt spent) and resume
      // the chain where it stopped.
      await job.updateData({ ...data, progress: { attempts, resume: outcome.resume } });
      logger.info('batch-line-delay', {
        event: 'batch-line-delay',
        ...log,
        delay_ms: outcome.delayMs,
        ...(outcome.throttle ? { reason: outcome.throttle } : {}),
      });
      await job.moveToDelayed(Date.now() + outcome.delayMs, token);
      throw new DelayedError();
    }

    if (outcome.kind === 'failed') {
      const { failure } = describeFailure(outcome.error, attempts);
      const final = !outcome.retryable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      logger.warn(final ? 'batch-line-fail' : 'batch-line-retry', {
        event: final ? 'batch-line-fail' : 'batch-line-retry',
        ...log,
        provider: failure.provider,
        error_code: failure.code,
        status_code: failure.status_code,
        calls: attempts.length,
        latency_ms: Math.round(performance.now() - callStartedAt),
      });
      if (!final) {
        // Keep the calls made so far, so the next attempt continues the same accounting.
        await job.updateData({ ...data, progress: { attempts } });
        throw new Error(failure.message);
      }
      await failLine(failure, settle(attempts, route.decision.input_tokens));
      return;
    }

    const { entry } = outcome;
    // Output filter: a blocked answer fails the line (its calls are still billed); a redacted
    // one is what the output file holds.
    const output = policy ? inspectOutput(outcome.answer.text, policy) : undefined;
    if (output?.blocked) {
      const failure: JobFailure = {
        code: 'output_rejected',
        message: `the output filter blocked the answer: ${output.reason ?? 'policy'}`,
        provider: entry.provider,
      };
      logger.warn('batch-line-output-rejected', {
        event: 'batch-line-fail',
        ...log,
        provider: entry.provider,
        routed_model: entry.id,
        error_code: failure.code,
        detectors: blockingDetectors(output.findings),
      });
      await failLine(failure, settle(attempts, route.decision.input_tokens));
      return;
    }
    const answer = output ? { ...outcome.answer, text: output.texts[0] ?? '' } : outcome.answer;
    const body = toChatCompletionBody(answer, Date.now());
    await finishBatchLine(
      options,
      data,
      'completed',
      completedBatchLine(data.customId, answer.responseId ?? requestId, body),
      { inputTokens: answer.usage.inputTokens, outputTokens: answer.usage.outputTokens },
      settle(attempts, route.decision.input_tokens),
    );
    logger.debug('batch-line-end', {
      event: 'batch-line-end',
      ...log,
      provider: entry.provider,
      routed_model: entry.id,
      calls: attempts.length,
      input_tokens: answer.usage.inputTokens,
      output_tokens: answer.usage.outputTokens,
    });
  }
}

/** The detectors that blocked, for a log line (never the matched text). */
function blockingDetectors(findings: readonly FilterFinding[]): string[] {
  return findings
    .filter((finding) => finding.action === 'block')
    .map((finding) => finding.detector);
}
