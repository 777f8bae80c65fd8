import {
  type BatchLineJobData,
  type BatchStopReason,
  type BatchStore,
  batchLineJobDataSchema,
  completedBatchLine,
  failedBatchLine,
  jobCatalog,
  type LanguageModel,
  type Logger,
  type ModelCatalog,
  skippedBatchLine,
  toChatCompletionBody,
} from '@llmq/core';
import type { Job, Queue } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { describeFailure } from '../pipeline/describe-failure';
import type { ModelResolver } from '../pipeline/prompt-pipeline';

export interface BatchLinePipelineOptions {
  batches: BatchStore;
  catalog: ModelCatalog;
  resolveModel: ModelResolver;
  /** The `batch-control` queue, where the last line of a batch queues its finalisation. */
  controlQueue: Queue;
  logger: Logger;
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
 * Records a line's outcome once; the line that ends the batch queues its finalisation. A
 * duplicate (the line was recorded by an earlier attempt that then failed to queue the
 * finalisation) checks whether the batch still waits for one.
 */
export async function finishBatchLine(
  options: Pick<BatchLinePipelineOptions, 'batches' | 'controlQueue'>,
  data: Pick<BatchLineJobData, 'batchId' | 'index'>,
  outcome: 'completed' | 'failed' | 'skipped',
  line: string,
  usage?: { inputTokens: number; outputTokens: number },
): Promise<void> {
  const result = await options.batches.recordLine(data.batchId, data.index, outcome, line, usage);
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
 * Runs one batch line (bulk lane): skip it if the batch is stopping, else call the provider
 * and record the answer in the batch's output or the failure in its error lines, once.
 */
export function createBatchLinePipeline(options: BatchLinePipelineOptions) {
  const { batches, catalog, resolveModel, logger } = options;
  // A batch's stop reason, read at most every `stopReasonCacheMs` per batch: saves a Redis
  // round trip per line, at the price of a cancel reaching running lines that much later.
  const stopReasonCacheMs = 200;
  const stopReasons = new Map<string, { reason: BatchStopReason | undefined; readAt: number }>();
  const stopReasonOf = async (batchId: string) => {
    const cached = stopReasons.get(batchId);
    if (cached && Date.now() - cached.readAt < stopReasonCacheMs) return cached.reason;
    const reason = await batches.stopReason(batchId);
    if (stopReasons.size > 1000) stopReasons.clear();
    stopReasons.set(batchId, { reason, readAt: Date.now() });
    return reason;
  };
  return async function runBatchLine(job: Job): Promise<void> {
    const parsed = batchLineJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError('invalid batch line data');
    const data = parsed.data;
    const requestId = `${data.batchId}-${data.index}`;

    const stopReason = await stopReasonOf(data.batchId);
    if (stopReason) {
      await finishBatchLine(options, data, 'skipped', skippedBatchLine(data.customId, stopReason));
      return;
    }

    const entry = catalog.resolve(data.model);
    const model: LanguageModel | undefined = entry
      ? resolveModel(entry.provider, entry.upstreamModel)
      : undefined;
    if (!entry || !model) {
      const line = failedBatchLine(data.customId, requestId, {
        code: 'model_unavailable',
        message: `model "${data.model}" is not configured on this worker`,
      });
      await finishBatchLine(options, data, 'failed', line);
      return;
    }

    let answer: Awaited<ReturnType<LanguageModel['generate']>>;
    try {
      answer = await model.generate({
        ...data.request,
        headers: { 'x-llmq-job-id': requestId, 'x-llmq-attempt': String(job.attemptsMade + 1) },
      });
    } catch (error) {
      const { failure, retryable } = describeFailure(error);
      const final = !retryable || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      logger.warn('llm_error', {
        event: final ? 'batch-line-fail' : 'batch-line-retry',
        batch_id: data.batchId,
        line_index: data.index,
        provider: entry.provider,
        error_code: failure.code,
        status_code: failure.status_code,
      });
      if (!final) throw error;
      await finishBatchLine(
        options,
        data,
        'failed',
        failedBatchLine(data.customId, requestId, failure),
      );
      return;
    }
    const body = toChatCompletionBody(answer, Date.now());
    await finishBatchLine(
      options,
      data,
      'completed',
      completedBatchLine(data.customId, answer.responseId ?? requestId, body),
      { inputTokens: answer.usage.inputTokens, outputTokens: answer.usage.outputTokens },
    );
  };
}
