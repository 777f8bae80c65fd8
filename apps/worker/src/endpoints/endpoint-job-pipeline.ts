import {
  type AttemptRecord,
  type BatchedModelCalls,
  type CostLedger,
  type EndpointAnswer,
  type EndpointJobData,
  type FilterPolicyStore,
  failureSummary,
  type JobFailure,
  type JobResult,
  type JobStore,
  jobCatalog,
  type LlmqMetrics,
  type Logger,
  ledgerLinesFromAttempts,
  type ModelCatalog,
  type RetryPolicy,
  roundUsd,
  tracerName,
} from '@llmq/core';
import { createJobRunner, type JobSink, parseJobData, type StageOutcome } from '@llmq/runner';
import { type Tracer, trace } from '@opentelemetry/api';
import { UnrecoverableError } from 'bullmq';
import { endpointStageOutcome } from '../batches/endpoint-stage';
import { filterEndpointTexts } from '../batches/line-input-filter';

export interface EndpointJobPipelineOptions {
  store: JobStore;
  catalog: ModelCatalog;
  /** This process's micro-batched embeddings and completions calls (sync requests share them). */
  calls: BatchedModelCalls;
  policy: Pick<RetryPolicy, 'maxInlineWaitMs' | 'maxRetriesPerModel'>;
  ledger?: CostLedger;
  filterPolicies?: FilterPolicyStore;
  logger: Logger;
  tracer?: Tracer;
  metrics?: LlmqMetrics;
}

/** What one run answered: the endpoint's answer and its share of the call. */
interface EndpointJobAnswer {
  answer: EndpointAnswer;
  inputTokens: number;
  outputTokens: number;
  responseModel: string;
  provider: string;
}

/**
 * Runs sync `/v1/embeddings` and `/v1/completions` jobs (interactive lane) through the job
 * runner: claim in the job store, the tenant's input filter, the model's micro-batched call
 * (shared with other sync requests of the same model in this worker), then the result, its
 * event and its ledger write in the job store's one final transition, as a prompt job ends.
 * Retries, parking and failures follow the embeddings and completions batch lines (no
 * fallback chain: another embeddings model answers in another vector space).
 */
export function createEndpointJobPipeline(options: EndpointJobPipelineOptions) {
  const tracer = options.tracer ?? trace.getTracer(tracerName);
  const { store, catalog, logger } = options;
  const ledgerOf = (data: EndpointJobData, attempts: readonly AttemptRecord[], now?: number) =>
    options.ledger?.write(data.tenant, ledgerLinesFromAttempts(attempts), {
      now,
      releaseReservation: data.jobId,
    });
  const sink: JobSink<EndpointJobData, EndpointJobAnswer> = {
    events: 'job',
    parse: (job) => parseJobData(job, jobCatalog.interactiveEndpoint.schema, store),
    identity: (data) => data,
    async open(_job, data, observed, log) {
      const claim = await store.start(data.jobId);
      if (claim.outcome !== 'started') {
        logger.info('job-skip', { event: 'job-skip', ...log, reason: claim.outcome });
        observed.skipped();
        return undefined;
      }
      observed.started(claim.startedAt);
      const startedAt = claim.startedAt;
      let provider = '';
      return {
        async call(): Promise<StageOutcome<EndpointJobAnswer>> {
          const entry = catalog.resolve(data.model);
          const endpoint = data.endpoint === '/v1/embeddings' ? 'embeddings' : 'completions';
          const reason = entry ? catalog.unavailability(entry, endpoint) : 'disabled';
          if (!entry || reason) {
            return {
              kind: 'rejected',
              failure: {
                code: 'model_unavailable',
                message: `model "${data.model}" cannot serve ${data.endpoint} here`,
              },
            };
          }
          provider = entry.provider;
          const previous = data.progress?.attempts ?? [];
          if (data.endpoint === '/v1/embeddings') {
            const inputs = await filterEndpointTexts(
              options.filterPolicies,
              data.tenant,
              data.embedding.inputs,
            );
            if ('failure' in inputs) return { kind: 'rejected', failure: inputs.failure };
            const request = { ...data.embedding, inputs: inputs.texts };
            const outcome = await options.calls.embed(entry, request, data.jobId, observed.context);
            return endpointStageOutcome(
              outcome.ok
                ? {
                    ...outcome,
                    answer: {
                      answer: { type: 'embeddings', embeddings: outcome.answer.embeddings },
                      inputTokens: outcome.answer.inputTokens,
                      outputTokens: 0,
                      responseModel: outcome.answer.responseModel,
                      provider,
                    },
                  }
                : outcome,
              previous,
              options.policy,
            );
          }
          const prompts = await filterEndpointTexts(
            options.filterPolicies,
            data.tenant,
            data.completion.prompts,
          );
          if ('failure' in prompts) return { kind: 'rejected', failure: prompts.failure };
          const request = { ...data.completion, prompts: prompts.texts };
          const outcome = await options.calls.complete(
            entry,
            request,
            data.jobId,
            observed.context,
          );
          return endpointStageOutcome(
            outcome.ok
              ? {
                  ...outcome,
                  answer: {
                    answer: {
                      type: 'completions',
                      choices: outcome.answer.choices.map((choice) => ({
                        index: choice.index,
                        text: choice.text,
                        finish_reason: choice.finishReason,
                      })),
                    },
                    inputTokens: outcome.answer.inputTokens,
                    outputTokens: outcome.answer.outputTokens,
                    responseModel: outcome.answer.responseModel,
                    provider,
                  },
                }
              : outcome,
            previous,
            options.policy,
          );
        },
        answeredBy: () => ({ provider, routed_model: data.model }),
        async complete(answer: EndpointJobAnswer, attempts: AttemptRecord[]) {
          const finishedAt = Date.now();
          const result = endpointJobResult(data, answer, attempts, startedAt, finishedAt);
          const written = await store.complete(
            data.jobId,
            result,
            finishedAt,
            ledgerOf(data, attempts, finishedAt),
          );
          logger.info('job-end', { event: 'job-end', ...log, written });
        },
        async fail(failure: JobFailure, attempts: readonly AttemptRecord[], reason?: string) {
          await store.fail(
            data.jobId,
            { ...failure, attempts: [...attempts] },
            undefined,
            ledgerOf(data, attempts),
          );
          throw new UnrecoverableError(reason ?? failureSummary(failure));
        },
        async requeue(failure: JobFailure) {
          await store.requeue(data.jobId, failure);
        },
      };
    },
  };
  return createJobRunner(sink, { tracer, logger, metrics: options.metrics });
}

/** The job store's result of an embeddings or completions job. */
function endpointJobResult(
  data: EndpointJobData,
  answer: EndpointJobAnswer,
  attempts: readonly AttemptRecord[],
  startedAt: number,
  finishedAt: number,
): JobResult {
  const first = answer.answer.type === 'completions' ? answer.answer.choices[0] : undefined;
  const text = first?.text ?? '';
  const last = attempts[attempts.length - 1];
  return {
    text,
    message: { role: 'assistant', content: text },
    finish_reason: first?.finish_reason ?? 'stop',
    endpoint_answer: answer.answer,
    model: data.model,
    upstream_model: answer.responseModel,
    provider: answer.provider,
    usage: {
      input_tokens: answer.inputTokens,
      cached_input_tokens: 0,
      output_tokens: answer.outputTokens,
      total_tokens: answer.inputTokens + answer.outputTokens,
    },
    timings: {
      queue_wait_ms: Math.max(0, startedAt - data.createdAt),
      provider_ms: last?.latency_ms ?? 0,
      total_ms: Math.max(0, finishedAt - data.createdAt),
    },
    attempts: [...attempts],
    cost_usd: roundUsd(attempts.reduce((sum, attempt) => sum + attempt.cost_usd, 0)),
  };
}
