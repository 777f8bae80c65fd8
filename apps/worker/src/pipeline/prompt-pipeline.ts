import type {
  FilterPolicyStore,
  JobResult,
  JobStore,
  LanguageModel,
  Logger,
  ModelCatalog,
  PromptJobData,
} from '@llmq/core';
import { inspectOutput, promptJobDataSchema } from '@llmq/core';
import { type Job, UnrecoverableError } from 'bullmq';
import { describeFailure } from './describe-failure';

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
  /** Tenants' filter policies for the output filter; without it answers are not filtered. */
  filterPolicies?: FilterPolicyStore;
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
  filterPolicies,
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
    try {
      answer = await model.generate({
        ...data.request,
        headers: { 'x-llmq-job-id': data.jobId, 'x-llmq-attempt': String(job.attemptsMade + 1) },
      });
    } catch (error) {
      const { failure, retryable } = describeFailure(error);
      const attempts = job.opts.attempts ?? 1;
      const final = !retryable || job.attemptsMade + 1 >= attempts;
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
    // Output filter: after the provider call, before anything is stored. `verdict.cacheable`
    // is what a result cache must honour (a blocked answer is never cached).
    const verdict = filterPolicies
      ? inspectOutput(answer.text, await filterPolicies.policyFor(data.tenant))
      : undefined;
    if (verdict?.blocked) {
      logger.warn('job-output-rejected', {
        event: 'job-fail',
        ...log,
        provider: entry.provider,
        error_code: 'output_rejected',
        detectors: verdict.findings
          .filter((finding) => finding.action === 'block')
          .map((finding) => finding.detector),
      });
      await store.fail(data.jobId, {
        code: 'output_rejected',
        message: `the output filter blocked the answer: ${verdict.reason ?? 'policy'}`,
        provider: entry.provider,
      });
      throw new UnrecoverableError('output rejected by the output filter');
    }
    const text = verdict?.texts[0] ?? answer.text;
    const finishedAt = Date.now();
    const result: JobResult = {
      text,
      message: { role: 'assistant', content: text },
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
      ...(verdict && verdict.findings.length > 0 ? { filter_findings: verdict.findings } : {}),
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
