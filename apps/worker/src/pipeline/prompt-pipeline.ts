import type {
  AttemptRecord,
  CallJournal,
  CostLedger,
  FilterPolicyStore,
  JobDeltaPublisher,
  JobFailure,
  JobResult,
  JobStore,
  LlmqMetrics,
  Logger,
  ModelCatalog,
  PromptJobData,
  RequestExecutor,
  ResponseCaches,
} from '@llmq/core';
import {
  asCacheHit,
  failureCodeForRoute,
  inspectOutput,
  jobCatalog,
  ledgerLineFromCacheHit,
  ledgerLinesFromAttempts,
  observedModel,
  promptJobDataSchema,
  roundUsd,
  routeRequest,
  tracerName,
} from '@llmq/core';
import { type Tracer, trace } from '@opentelemetry/api';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import { describeFailure } from './describe-failure';
import { progressWithInterruptedCalls } from './interrupted-calls';
import { attemptOutcomeOf, createJobSpans, type ObservedJob } from './job-telemetry';
import { recordCallMetrics } from './record-call-metrics';
import { stoppableModel, streamingModel } from './stream-generation';

export interface PromptPipelineOptions {
  store: JobStore;
  catalog: ModelCatalog;
  /** The provider stage: hedge, fallback chain, retries, circuit breakers (see @llmq/core). */
  execute: RequestExecutor;
  logger: Logger;
  /** Tenants' filter policies for the output filter; without it answers are not filtered. */
  filterPolicies?: FilterPolicyStore;
  /** Tracer for job and provider spans; the no-op tracer when absent (tracing off). */
  tracer?: Tracer;
  /** This process's metrics; absent in tests that do not read them. */
  metrics?: LlmqMetrics;
  /** Opens the delta publisher of a job that asked for streaming (`stream: true` in its data). */
  openDeltaPublisher?: (jobId: string) => JobDeltaPublisher;
  /** The exact and semantic response caches; absent, every job calls its provider. */
  caches?: ResponseCaches;
  /**
   * The cost ledger: each job's billed calls (or its cache hit) are written with its final
   * transition, which also releases its budget reservation. Absent, nothing is recorded.
   */
  ledger?: CostLedger;
  /** Records provider calls before they are made; absent, a call cut off by a crash is not counted. */
  journal?: CallJournal;
}

/**
 * Runs one prompt job: claim it in the job store, route it, run the provider stage, store
 * the result once. Later stages (cache, limits, filters, cost) slot in here, in this order.
 * Returns nothing: results live in the job store, not in BullMQ's return value.
 */
export function createPromptPipeline({
  store,
  catalog,
  execute,
  logger,
  filterPolicies,
  tracer = trace.getTracer(tracerName),
  metrics,
  openDeltaPublisher,
  caches,
  ledger,
  journal,
}: PromptPipelineOptions) {
  const jobSpans = createJobSpans({ tracer, logger, metrics });
  return async function runPromptJob(job: Job, token?: string): Promise<void> {
    const parsed = promptJobDataSchema.safeParse(job.data);
    if (!parsed.success) {
      const jobId = typeof job.data?.jobId === 'string' ? job.data.jobId : job.id;
      if (jobId)
        await store.fail(jobId, { code: 'invalid_job', message: 'the queued job data is invalid' });
      throw new UnrecoverableError('invalid job data');
    }
    const data: PromptJobData = parsed.data;
    const observed = jobSpans.begin(job, data);
    try {
      await runParsedJob(job, data, observed, token);
      observed.end('completed');
    } catch (error) {
      observed.end(attemptOutcomeOf(job, error), error);
      throw error;
    }
  };

  async function runParsedJob(
    job: Job,
    data: PromptJobData,
    observed: ObservedJob,
    token: string | undefined,
  ): Promise<void> {
    const log = observed.logFields;
    // The ledger write that rides on the job's final transition (exactly once per job).
    const settle = (attempts: readonly AttemptRecord[], now?: number) =>
      ledger?.write(data.tenant, ledgerLinesFromAttempts(attempts), {
        now,
        releaseReservation: data.jobId,
      });

    const claim = await store.start(data.jobId);
    if (claim.outcome !== 'started') {
      logger.info('job-skip', { event: 'job-skip', ...log, reason: claim.outcome });
      observed.skipped();
      return;
    }
    observed.started(claim.startedAt);
    logger.debug('job-start', { event: 'job-start', ...log });

    // Routed again at run time: the catalog may have changed since the API accepted the job.
    const route = routeRequest(catalog, {
      model: data.model,
      messages: data.request.messages,
      maxTokens: data.request.maxTokens,
      requirements: data.requirements,
      fallbacks: data.fallbacks,
    });
    if (!route.ok) {
      await store.fail(
        data.jobId,
        { code: failureCodeForRoute(route.code), message: route.message },
        undefined,
        settle([]),
      );
      throw new UnrecoverableError(route.message);
    }
    const routing = route.decision;

    const callStartedAt = performance.now();
    // A streamed job publishes its deltas as they arrive (see streamingModel for the rules).
    const publisher = data.stream ? openDeltaPublisher?.(data.jobId) : undefined;
    // A sync request's job is stopped too when its client leaves; it only watches the flag.
    const stopWatch =
      !data.stream && job.queueName === jobCatalog.interactivePrompt.queue
        ? openDeltaPublisher?.(data.jobId)
        : undefined;

    // Caches: a deterministic request answered before (exact), or a single-turn prompt close
    // enough to one answered before (semantic), is answered again, free, without a provider
    // call. `refresh` skips the reads (the fresh answer is stored below).
    const lookup = caches
      ? await caches.lookup({
          tenant: data.tenant,
          model: data.model,
          request: data.request,
          mode: data.cache,
          options: data.cacheOptions,
        })
      : undefined;
    if (lookup?.hit) {
      const { hit } = lookup;
      const finishedAt = Date.now();
      const result = asCacheHit(
        hit.result,
        {
          queue_wait_ms: Math.max(0, claim.startedAt - data.createdAt),
          provider_ms: 0,
          total_ms: Math.max(0, finishedAt - data.createdAt),
        },
        hit.type === 'semantic' ? { type: 'semantic', score: hit.score } : { type: 'exact' },
      );
      if (publisher) {
        publisher.push(hit.result.text);
        await publisher.flush();
      }
      const written = await store.complete(
        data.jobId,
        result,
        finishedAt,
        ledger?.write(data.tenant, [ledgerLineFromCacheHit(hit.result.model, result)], {
          now: finishedAt,
          releaseReservation: data.jobId,
        }),
      );
      metrics?.cacheHits.inc({ cache_type: hit.type });
      logger.info('job-end', {
        event: 'job-end',
        ...log,
        cached: true,
        cache_type: hit.type,
        ...(hit.type === 'semantic' ? { cache_score: hit.score } : {}),
        written,
      });
      return;
    }
    const outcome = await execute({
      decision: routing,
      request: data.request,
      hedge: data.hedge,
      progress: await progressWithInterruptedCalls(job, data, journal, metrics),
      // Each call is recorded as started before it is made: a crash mid-call is still counted.
      recorder: journal?.forJob(data.jobId, routing.input_tokens),
      headers: (callNumber) => ({
        'x-llmq-job-id': data.jobId,
        'x-llmq-attempt': String(callNumber),
      }),
      logFields: log,
      // Every provider call gets its span, metrics and llm-* log lines, wrapped from outside.
      wrapModel: (entry, model) =>
        observedModel(
          publisher
            ? streamingModel(model, publisher, (seconds) =>
                metrics?.timeToFirstToken.observe({ model: entry.id }, seconds),
              )
            : stopWatch
              ? stoppableModel(model, stopWatch)
              : model,
          { tracer, logger, metrics },
          {
            parent: observed.context,
            catalogModel: entry.id,
            logFields: log,
          },
        ),
    });
    const attempts = outcome.attempts;
    recordCallMetrics(
      metrics,
      attempts,
      (data.progress as { attempts?: unknown[] } | undefined)?.attempts?.length ?? 0,
    );

    if (outcome.kind === 'wait') {
      // A long Retry-After: park the job in BullMQ's delayed set (no worker slot held, no
      // attempt spent) and resume the chain where it stopped.
      const lastError: JobFailure =
        outcome.throttle !== undefined
          ? {
              code: 'provider_rate_limited',
              message: `waiting ${outcome.delayMs} ms for the rate limit of ${outcome.resume.model} (${outcome.throttle})`,
            }
          : outcome.error === undefined
            ? {
                code: 'provider_rate_limited',
                message: `waiting ${outcome.delayMs} ms for the retry-after of ${outcome.resume.model}`,
              }
            : describeFailure(outcome.error, attempts).failure;
      await job.updateData({ ...data, progress: { attempts, resume: outcome.resume } });
      await store.requeue(data.jobId, lastError);
      logger.info('job-delay', {
        event: 'job-delay',
        ...log,
        delay_ms: outcome.delayMs,
        ...(outcome.throttle ? { reason: outcome.throttle } : {}),
      });
      await job.moveToDelayed(Date.now() + outcome.delayMs, token);
      throw new DelayedError();
    }

    if (outcome.kind === 'failed' && (publisher ?? stopWatch)?.stopRequested) {
      await store.stop(data.jobId, undefined, data.tenant);
      logger.info('job-stop', { event: 'job-stop', ...log });
      return;
    }

    if (outcome.kind === 'failed') {
      const { failure } = describeFailure(outcome.error, attempts);
      const maxAttempts = job.opts.attempts ?? 1;
      // Once deltas went out, a retry would repeat text the client already has: fail instead.
      const final =
        !outcome.retryable || job.attemptsMade + 1 >= maxAttempts || publisher?.published === true;
      logger.warn(final ? 'job-fail' : 'job-retry', {
        event: final ? 'job-fail' : 'job-retry',
        ...log,
        provider: failure.provider,
        error_code: failure.code,
        status_code: failure.status_code,
        calls: attempts.length,
        latency_ms: Math.round(performance.now() - callStartedAt),
      });
      if (final) {
        await store.fail(
          data.jobId,
          { ...failure, attempts, routing },
          undefined,
          settle(attempts),
        );
        throw new UnrecoverableError(failure.message);
      }
      // Keep the calls made so far, so the final result lists every one of them.
      await job.updateData({ ...data, progress: { attempts } });
      await store.requeue(data.jobId, failure);
      throw new Error(failure.message);
    }

    const { answer, entry } = outcome;
    const winner = [...attempts].reverse().find((attempt) => attempt.outcome === 'success');
    const providerMs = winner?.latency_ms ?? performance.now() - callStartedAt;
    // Output filter: after the provider stage succeeded, before anything is stored.
    // `verdict.cacheable` is what a result cache must honour (a blocked answer is never cached).
    const verdict = filterPolicies
      ? inspectOutput(answer.text, await filterPolicies.policyFor(data.tenant))
      : undefined;
    if (verdict?.blocked) {
      logger.warn('job-output-rejected', {
        event: 'job-fail',
        ...log,
        provider: entry.provider,
        routed_model: entry.id,
        error_code: 'output_rejected',
        detectors: verdict.findings
          .filter((finding) => finding.action === 'block')
          .map((finding) => finding.detector),
      });
      await store.fail(
        data.jobId,
        {
          code: 'output_rejected',
          message: `the output filter blocked the answer: ${verdict.reason ?? 'policy'}`,
          provider: entry.provider,
          attempts,
          routing,
        },
        undefined,
        settle(attempts),
      );
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
      routing,
      attempts,
      cost_usd: roundUsd(attempts.reduce((sum, attempt) => sum + attempt.cost_usd, 0)),
      ...(verdict && verdict.findings.length > 0 ? { filter_findings: verdict.findings } : {}),
    };
    // Only a complete, clean answer is cached: errors and cut streams never get here, and a
    // blocked output failed above; a redacted one (`cacheable: false`) is not kept either.
    // Stored before the job completes, so a client that sees the result and asks again hits.
    if (lookup && verdict?.cacheable !== false) await lookup.remember(result);
    const written = await store.complete(
      data.jobId,
      result,
      finishedAt,
      settle(attempts, finishedAt),
    );
    logger.info('job-end', {
      event: 'job-end',
      ...log,
      provider: entry.provider,
      routed_model: entry.id,
      calls: attempts.length,
      written,
      latency_ms: result.timings.provider_ms,
      input_tokens: result.usage.input_tokens,
      output_tokens: result.usage.output_tokens,
      output_length: answer.text.length,
    });
  }
}
