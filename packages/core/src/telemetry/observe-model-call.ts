import { type Context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { textOf } from '../messages/text-of';
import type { GenerateRequest, GenerateResult, LanguageModel } from '../providers/language-model';
import { isProviderError } from '../providers/provider-error';
import type { Logger } from './logger';
import type { LlmqMetrics } from './metrics';
import { traceHeaders, traceIdOf } from './tracing';

export interface ModelCallTelemetry {
  tracer: Tracer;
  logger: Logger;
  /** Absent in code that does not export metrics (some tests). */
  metrics?: LlmqMetrics;
}

export interface ModelCallDescription {
  /** The span this call belongs to (the worker's job span). */
  parent: Context;
  /** Catalog model id: the `model` label of every metric. */
  catalogModel: string;
  /**
   * The model's deployment that takes the call, when the model has several: the `deployment`
   * label of `llm_deployment_requests_total` (bounded by the catalog).
   */
  deployment?: string;
  /** Fields every log line of this call carries (`job_id`, `tenant`, `request_id`, `attempt` …). */
  logFields: Record<string, unknown>;
}

/**
 * Runs one provider call inside a span with the OpenTelemetry GenAI semantic-convention
 * attributes, records `llm_requests_total`, `llm_latency_seconds` and `llm_tokens_total`, and
 * logs the seed's `llm_request` / `llm_response` / `llm_error` facts (lengths, latency,
 * tokens, error type: never prompt or completion text). The call's headers carry the
 * `traceparent`, so a provider (or the simulator) can join the trace.
 *
 * It wraps a model from outside, as caching and cost do; adapters stay unaware of it.
 */
export async function observeModelCall(
  telemetry: ModelCallTelemetry,
  model: LanguageModel,
  request: GenerateRequest,
  description: ModelCallDescription,
): Promise<GenerateResult> {
  const { tracer, logger, metrics } = telemetry;
  const span = tracer.startSpan(
    `chat ${model.modelId}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': genAiSystem(model.provider),
        'gen_ai.request.model': model.modelId,
        ...(request.maxTokens !== undefined
          ? { 'gen_ai.request.max_tokens': request.maxTokens }
          : {}),
        ...(request.temperature !== undefined
          ? { 'gen_ai.request.temperature': request.temperature }
          : {}),
        ...(request.topP !== undefined ? { 'gen_ai.request.top_p': request.topP } : {}),
        ...(request.topK !== undefined ? { 'gen_ai.request.top_k': request.topK } : {}),
        ...(request.presencePenalty !== undefined
          ? { 'gen_ai.request.presence_penalty': request.presencePenalty }
          : {}),
        ...(request.frequencyPenalty !== undefined
          ? { 'gen_ai.request.frequency_penalty': request.frequencyPenalty }
          : {}),
        'llmq.provider': model.provider,
        'llmq.model': description.catalogModel,
        ...(description.deployment !== undefined
          ? { 'llmq.deployment': description.deployment }
          : {}),
      },
    },
    description.parent,
  );
  // With tracing off (the no-op tracer) the span's context is invalid: it has no trace to carry
  // or to name in a log line, so no context is made for it (a copy of the parent's map per call).
  const spanContext = trace.isSpanContextValid(span.spanContext())
    ? trace.setSpan(description.parent, span)
    : undefined;
  // The fields every line of the call repeats, built only for a line that will be written
  // (under load the worker logs at `warn`: the request and response lines are skipped).
  const log = () => ({
    ...description.logFields,
    trace_id: spanContext && traceIdOf(spanContext),
    model: description.catalogModel,
    provider: model.provider,
    upstream_model: model.modelId,
    ...(description.deployment !== undefined ? { deployment: description.deployment } : {}),
    // Lengths in characters, never the text itself.
    message_count: request.messages.length,
    prompt_length: request.messages.reduce((sum, message) => sum + textOf(message).length, 0),
  });
  // Debug: the response or error line repeats these facts, so one line per call at `info`.
  if (logger.isLevelEnabled('debug'))
    logger.debug('llm_request', {
      event: 'llm-request',
      ...log(),
      max_tokens: request.maxTokens,
      temperature: request.temperature,
    });

  const startedAt = performance.now();
  try {
    const result = await model.generate(
      spanContext ? withTraceHeaders(request, traceHeaders(spanContext)) : request,
    );
    const seconds = (performance.now() - startedAt) / 1000;
    // Without a tracing SDK (or sampled out) the span records nothing: skip the attributes.
    if (span.isRecording())
      span.setAttributes({
        'gen_ai.response.model': result.responseModel,
        'gen_ai.response.finish_reasons': [result.finishReason],
        'gen_ai.usage.input_tokens': result.usage.inputTokens,
        'gen_ai.usage.output_tokens': result.usage.outputTokens,
        ...(result.responseId ? { 'gen_ai.response.id': result.responseId } : {}),
      });
    span.end();
    if (metrics) {
      metrics.llmRequests.inc({ model: description.catalogModel, status: 'success' });
      if (description.deployment !== undefined)
        metrics.llmDeploymentRequests.inc({
          model: description.catalogModel,
          deployment: description.deployment,
          status: 'success',
        });
      metrics.llmLatency.observe({ model: description.catalogModel }, seconds);
      metrics.llmTokens.inc(
        { model: description.catalogModel, type: 'input' },
        result.usage.inputTokens,
      );
      metrics.llmTokens.inc(
        { model: description.catalogModel, type: 'output' },
        result.usage.outputTokens,
      );
      if (result.usage.cachedInputTokens > 0)
        metrics.llmTokens.inc(
          { model: description.catalogModel, type: 'cached_input' },
          result.usage.cachedInputTokens,
        );
    }
    if (logger.isLevelEnabled('info'))
      logger.info('llm_response', {
        event: 'llm-response',
        ...log(),
        latency_ms: Math.round(seconds * 10_000) / 10,
        input_tokens: result.usage.inputTokens,
        output_tokens: result.usage.outputTokens,
        response_length: result.text.length,
        finish_reason: result.finishReason,
      });
    return result;
  } catch (error) {
    const seconds = (performance.now() - startedAt) / 1000;
    const errorType = isProviderError(error)
      ? error.code
      : error instanceof Error
        ? error.name
        : 'unknown';
    const statusCode = isProviderError(error) ? error.statusCode : undefined;
    span.setAttribute('error.type', errorType);
    if (statusCode !== undefined) span.setAttribute('http.response.status_code', statusCode);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorType });
    span.end();
    if (metrics) {
      metrics.llmRequests.inc({ model: description.catalogModel, status: 'error' });
      if (description.deployment !== undefined)
        metrics.llmDeploymentRequests.inc({
          model: description.catalogModel,
          deployment: description.deployment,
          status: 'error',
        });
      metrics.llmLatency.observe({ model: description.catalogModel }, seconds);
    }
    logger.warn('llm_error', {
      event: 'llm-error',
      ...log(),
      latency_ms: Math.round(seconds * 10_000) / 10,
      error_type: errorType,
      status_code: statusCode,
      retryable: isProviderError(error) ? error.isRetryable : undefined,
    });
    throw error;
  }
}

/** `gen_ai.system` for a provider account id (`simulator-anthropic` speaks Anthropic's API). */
export function genAiSystem(providerId: string): string {
  if (/anthropic/i.test(providerId)) return 'anthropic';
  if (/openai/i.test(providerId)) return 'openai';
  return providerId;
}

/**
 * The same model, with every `generate` observed (span, metrics, llm-* log lines). Streams
 * pass through unobserved for now.
 */
export function observedModel(
  model: LanguageModel,
  telemetry: ModelCallTelemetry,
  description: ModelCallDescription,
): LanguageModel {
  return {
    provider: model.provider,
    modelId: model.modelId,
    generate: (request) => observeModelCall(telemetry, model, request, description),
    stream: (request) => model.stream(request),
  };
}

/**
 * The request with the trace's headers added to its own; the request itself when there are
 * none (tracing off, the worker's usual case), so a call copies nothing it does not change.
 */
function withTraceHeaders(
  request: GenerateRequest,
  carried: Record<string, string>,
): GenerateRequest {
  if (Object.keys(carried).length === 0) return request;
  return { ...request, headers: { ...request.headers, ...carried } };
}
