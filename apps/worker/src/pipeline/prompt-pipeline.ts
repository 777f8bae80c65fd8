import type {
  JobDeltaPublisher,
  JobResult,
  JobStore,
  LanguageModel,
  Logger,
  ModelCatalog,
  PromptJobData,
} from '@llmq/core';
import { promptJobDataSchema } from '@llmq/core';
import { type Job, UnrecoverableError } from 'bullmq';
import { describeFailure } from './describe-failure';
import { streamGeneration } from './stream-generation';

/** Finds the language model for a provider account and upstream model id. */
export type ModelResolver = (
  providerId: string,
  upstreamModel: string,
) => LanguageModel | undefined;

export interface PromptPipelineOptions {
  store: JobStore;
  catalog: ModelCatalog;
  resolveModel: ModelResolver;
  logger: Logger;
  /** Opens the delta publisher of a job that asked for streaming (`stream: true` in its data). */
  openDeltaPublisher?: (jobId: string) => JobDeltaPublisher;
}

/**
 * Runs one prompt job: claim it in the job store, call the provider, store the result once.
 * Later stages (cache, routing, limits, filters, cost) slot in here, in this order.
 * Returns nothing: results live in the job store, not in BullMQ's return value.
 */
export function createPromptPipeline({
  store,
  catalog,
  resolveModel,
  logger,
  openDeltaPublisher,
}: PromptPipelineOptions) {
  return async function runPromptJob(job: Job): Promise<void> {
    const parsed = promptJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      const jobId = typeof job.data?.jobId === 'string' ? job.data.jobId : job.id;
      if (jobId)
        await store.fail(jobId, { code: 'invalid_job', message: 'the queued job data is invalid' });
      throw new UnrecoverableError('invalid job data');
    }
    const data: PromptJobData = parsed.data;
    const log = {
      job_id: data.jobId,
      tenant: data.tenant,
      model: data.model,
      attempt: job.attemptsMade + 1,
    };

    const claim = await store.start(data.jobId);
    if (claim.outcome !== 'started') {
      logger.info('job-skip', { event: 'job-skip', ...log, reason: claim.outcome });
      return;
    }
    logger.debug('job-start', { event: 'job-start', ...log });

    const entry = catalog.resolve(data.model);
    const model = entry ? resolveModel(entry.provider, entry.upstreamModel) : undefined;
    if (!entry || !model) {
      await store.fail(data.jobId, {
        code: 'model_unavailable',
        message: `model "${data.model}" is not configured on this worker`,
      });
      throw new UnrecoverableError('model unavailable');
    }

    const callStartedAt = performance.now();
    let answer: Awaited<ReturnType<LanguageModel['generate']>>;
    const callRequest = {
      ...data.request,
      headers: { 'x-llmq-job-id': data.jobId, 'x-llmq-attempt': String(job.attemptsMade + 1) },
    };
    // --- streaming branch (issue 6): a streamed job publishes its deltas as they arrive ---
    const publisher = data.stream ? openDeltaPublisher?.(data.jobId) : undefined;
    try {
      if (publisher) {
        const streamed = await streamGeneration(model, callRequest, publisher);
        if (streamed.outcome === 'stopped') {
          await store.stop(data.jobId);
          logger.info('job-stop', { event: 'job-stop', ...log, provider: entry.provider });
          return;
        }
        answer = streamed.answer;
      } else {
        answer = await model.generate(callRequest);
      }
    } catch (error) {
      const { failure, retryable } = describeFailure(error);
      const attempts = job.opts.attempts ?? 1;
      // Once deltas went out, a retry would repeat text the client already has: fail instead.
      const final = !retryable || job.attemptsMade + 1 >= attempts || publisher?.published === true;
      // --- end of the streaming branch ---
      logger.warn('llm_error', {
        event: final ? 'job-fail' : 'job-retry',
        ...log,
        provider: entry.provider,
        error_code: failure.code,
        status_code: failure.status_code,
        latency_ms: Math.round(performance.now() - callStartedAt),
      });
      if (final) {
        await store.fail(data.jobId, failure);
        throw new UnrecoverableError(failure.message);
      }
      await store.requeue(data.jobId, failure);
      throw error;
    }
    const providerMs = performance.now() - callStartedAt;
    const finishedAt = Date.now();
    const result: JobResult = {
      text: answer.text,
      message: { role: 'assistant', content: answer.text },
      finish_reason: answer.finishReason,
      model: entry.id,
      upstream_model: answer.responseModel,
      provider: entry.provider,
      ...(answer.responseId ? { response_id: answer.responseId } : {}),
      usage: {
        input_tokens: answer.usage.inputTokens,
        output_tokens: answer.usage.outputTokens,
        cached_input_tokens: answer.usage.cachedInputTokens,
        total_tokens: answer.usage.totalTokens,
      },
      timings: {
        queue_wait_ms: Math.max(0, claim.startedAt - data.createdAt),
        provider_ms: Math.round(providerMs * 10) / 10,
        total_ms: Math.max(0, finishedAt - data.createdAt),
      },
    };
    const written = await store.complete(data.jobId, result, finishedAt);
    logger.info('llm_response', {
      event: 'job-end',
      ...log,
      provider: entry.provider,
      written,
      latency_ms: result.timings.provider_ms,
      input_tokens: result.usage.input_tokens,
      output_tokens: result.usage.output_tokens,
      output_length: answer.text.length,
    });
  };
}
