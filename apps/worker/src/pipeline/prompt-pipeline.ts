import {
  type AttemptRecord,
  type CostLedger,
  type FilterPolicyStore,
  failureCodeForRoute,
  type JobDeltaPublisher,
  type JobStore,
  jobCatalog,
  type LlmqMetrics,
  type Logger,
  ledgerLinesFromAttempts,
  type ModelCatalog,
  type PromptJobData,
  type RequestExecutor,
  type ResponseCaches,
  type RoutingDecision,
  routeRequest,
  tracerName,
} from '@llmq/core';
import { type Tracer, trace } from '@opentelemetry/api';
import { type Job, UnrecoverableError } from 'bullmq';
import { answerFromCache } from './answer-from-cache';
import { type ChatAnswer, runChatStage } from './chat-stage';
import { buildJobResult } from './job-result';
import { createJobRunner, type JobRun, type JobSink } from './job-runner';
import type { ObservedJob } from './job-telemetry';
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
}

/**
 * Runs prompt jobs through the job runner: claim in the job store, route, answer from the
 * caches or the provider stage, store the result once. Results live in the job store, not in
 * BullMQ's return value.
 */
export function createPromptPipeline(options: PromptPipelineOptions) {
  const tracer = options.tracer ?? trace.getTracer(tracerName);
  const { store, logger } = options;
  const sink: JobSink<PromptJobData, ChatAnswer> = {
    events: 'job',
    async parse(job) {
      const parsed = jobCatalog.prompt.schema.safeParse(job.data);
      if (parsed.success) return parsed.data;
      const jobId = typeof job.data?.jobId === 'string' ? job.data.jobId : job.id;
      if (jobId)
        await store.fail(jobId, { code: 'invalid_job', message: 'the queued job data is invalid' });
      throw new UnrecoverableError('invalid job data');
    },
    identity: (data) => data,
    async open(job, data, observed, log) {
      const claim = await store.start(data.jobId);
      if (claim.outcome !== 'started') {
        logger.info('job-skip', { event: 'job-skip', ...log, reason: claim.outcome });
        observed.skipped();
        return undefined;
      }
      observed.started(claim.startedAt);
      logger.debug('job-start', { event: 'job-start', ...log });
      return openPromptRun({ ...options, tracer }, job, data, observed, log, claim.startedAt);
    },
  };
  return createJobRunner(sink, { tracer, logger, metrics: options.metrics });
}

/** One run of a claimed prompt job. */
function openPromptRun(
  options: PromptPipelineOptions & { tracer: Tracer },
  job: Job,
  data: PromptJobData,
  observed: ObservedJob,
  log: Record<string, unknown>,
  startedAt: number,
): JobRun<ChatAnswer> {
  const { store, logger, metrics, ledger, caches, filterPolicies } = options;
  // The ledger write that rides on the job's final transition (exactly once per job).
  const settle = (attempts: readonly AttemptRecord[], now?: number) =>
    ledger?.write(data.tenant, ledgerLinesFromAttempts(attempts), {
      now,
      releaseReservation: data.jobId,
    });
  // A streamed job publishes its deltas as they arrive (see streamingModel for the rules).
  const publisher = data.stream ? options.openDeltaPublisher?.(data.jobId) : undefined;
  // A sync request's job is stopped too when its client leaves; it only watches the flag.
  const stopWatch =
    !data.stream && job.queueName === jobCatalog.interactivePrompt.queue
      ? options.openDeltaPublisher?.(data.jobId)
      : undefined;
  let routing: RoutingDecision | undefined;
  let lookup: Awaited<ReturnType<ResponseCaches['lookup']>> | undefined;
  const callStartedAt = performance.now();

  return {
    async call() {
      // Routed again at run time: the catalog may have changed since the API accepted the job.
      const route = routeRequest(options.catalog, {
        model: data.model,
        messages: data.request.messages,
        maxTokens: data.request.maxTokens,
        requirements: data.requirements,
        fallbacks: data.fallbacks,
      });
      if (!route.ok)
        return {
          kind: 'rejected',
          failure: { code: failureCodeForRoute(route.code), message: route.message },
        };
      routing = route.decision;
      // Caches: an exact or close-enough earlier answer is answered again, free; `refresh`
      // skips the reads (the fresh answer is stored on completion).
      lookup = await caches?.lookup({
        tenant: data.tenant,
        model: data.model,
        request: data.request,
        mode: data.cache,
        options: data.cacheOptions,
      });
      if (lookup?.hit) {
        await answerFromCache({ ...options, publisher, startedAt }, data, lookup.hit, log);
        return { kind: 'answered' };
      }
      return runChatStage({
        execute: options.execute,
        decision: routing,
        request: data.request,
        hedge: data.hedge,
        progress: data.progress,
        requestId: data.jobId,
        log,
        context: observed.context,
        telemetry: options,
        wrap: (entry, model) =>
          publisher
            ? streamingModel(model, publisher, (seconds) =>
                metrics?.timeToFirstToken.observe({ model: entry.id }, seconds),
              )
            : stopWatch
              ? stoppableModel(model, stopWatch)
              : model,
      });
    },
    output: filterPolicies && {
      text: ({ answer }) => answer.text,
      policy: () => filterPolicies.policyFor(data.tenant),
    },
    answeredBy: ({ entry }) => ({ provider: entry.provider, routed_model: entry.id }),
    async complete(chat, attempts, verdict) {
      const finishedAt = Date.now();
      const result = buildJobResult(chat, {
        attempts,
        routing: routing as RoutingDecision,
        verdict,
        createdAt: data.createdAt,
        startedAt,
        finishedAt,
        callStartedAt,
      });
      // Only a complete, clean answer is cached (a redacted one is `cacheable: false`), stored
      // before the job completes so a client that sees the result and asks again hits.
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
        provider: chat.entry.provider,
        routed_model: chat.entry.id,
        calls: attempts.length,
        written,
        latency_ms: result.timings.provider_ms,
        input_tokens: result.usage.input_tokens,
        output_tokens: result.usage.output_tokens,
        output_length: chat.answer.text.length,
      });
    },
    async fail(failure, attempts, reason) {
      const recorded = routing ? { ...failure, attempts: [...attempts], routing } : failure;
      await store.fail(data.jobId, recorded, undefined, settle(attempts));
      throw new UnrecoverableError(reason ?? failure.message);
    },
    async requeue(failure) {
      await store.requeue(data.jobId, failure);
    },
    async stopped() {
      if (!(publisher ?? stopWatch)?.stopRequested) return false;
      await store.stop(data.jobId, undefined, data.tenant);
      logger.info('job-stop', { event: 'job-stop', ...log });
      return true;
    },
    mayRetry: () => publisher?.published !== true,
  };
}
