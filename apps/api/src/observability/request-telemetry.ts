import { randomUUID } from 'node:crypto';
import {
  contextFromTraceHeaders,
  type LlmqMetrics,
  type Logger,
  traceHeaders,
  traceIdOf,
} from '@llmq/core';
import {
  type Context,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { RequestHandler, Response } from 'express';
import type { ApiPrincipal } from '../http/api-keys';
import { errorDialectFor } from '../http/error-dialect';

export interface RequestTelemetryOptions {
  logger: Logger;
  tracer: Tracer;
  metrics?: LlmqMetrics;
}

/** A request id in the providers' form, `req_` and 32 hex digits (OpenAI's `x-request-id`). */
const newRequestId = (): string => `req_${randomUUID().replaceAll('-', '')}`;

/**
 * Gives every request an id (`X-Request-Id`, echoed or made up; also `request-id` on the
 * Anthropic-compatible routes), a server span continuing an
 * incoming `traceparent`, an `http_request_duration_seconds` observation and one
 * `http-request` log line when the response is sent.
 */
export function requestTelemetry({
  logger,
  tracer,
  metrics,
}: RequestTelemetryOptions): RequestHandler {
  return (request, response, next) => {
    const incoming = request.headers['x-request-id'];
    const requestId =
      typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : newRequestId();
    response.locals.requestId = requestId;
    response.setHeader('X-Request-Id', requestId);
    const path = request.path;
    // Anthropic's SDK reads its request id from `request-id` (OpenAI's from `x-request-id`).
    if (errorDialectFor({ path, headers: request.headers }) === 'anthropic')
      response.setHeader('request-id', requestId);

    const parent = contextFromTraceHeaders({
      traceparent: singleHeader(request.headers.traceparent),
      tracestate: singleHeader(request.headers.tracestate),
    });
    // Probes and scrapes arrive every few seconds from every pod: measured, logged, not traced
    // (a non-recording span accepts the same calls and records nothing).
    const span = untracedPaths.has(path)
      ? trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
      : tracer.startSpan(
          request.method,
          {
            kind: SpanKind.SERVER,
            attributes: { 'http.request.method': request.method, 'url.path': path },
          },
          parent,
        );
    const spanContext = trace.setSpan(parent, span);
    response.locals.traceContext = spanContext;

    const startedAt = process.hrtime.bigint();
    response.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
      // Unmatched paths share one label value: a scan of random URLs must not mint series.
      const route: string = request.route?.path ?? 'unmatched';
      const status = response.statusCode;
      // With tracing off (or an untraced path) the span records nothing: its name and
      // attributes are not built.
      if (span.isRecording()) {
        span.updateName(`${request.method} ${route}`);
        span.setAttributes({
          'http.route': route,
          'http.response.status_code': status,
          'llmq.request_id': requestId,
        });
        if (response.locals.tenant)
          span.setAttribute('llmq.tenant', String(response.locals.tenant));
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      metrics?.httpRequestDuration.observe(
        { method: request.method, route, status_code: String(status) },
        seconds,
      );
      // The line is built only when the `http` level is written (off at the default `info`):
      // winston would otherwise take a discarded line through its streams on every request.
      if (!logger.isLevelEnabled('http')) return;
      logger.http('http-request', {
        event: 'http-request',
        request_id: requestId,
        trace_id: traceIdOf(spanContext),
        tenant: response.locals.tenant,
        job_id: response.locals.jobId,
        method: request.method,
        route: request.route?.path ?? null,
        status,
        duration_ms: seconds * 1000,
      });
    });
    next();
  };
}

const untracedPaths = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * What a job submitted during this request carries: request id and trace context, and the
 * submitting key with its running-job cap (enforced by the worker, see docs/flow-control.md).
 */
export function submissionContext(response: Response): {
  requestId?: string;
  trace: { traceparent?: string; tracestate?: string };
  apiKey?: { id: string; maxRunningJobs?: number };
} {
  const spanContext: Context | undefined = response.locals.traceContext;
  // Only a valid span context has headers to carry (tracing on, or an incoming `traceparent`):
  // the propagator is not called for the rest.
  const headers =
    spanContext && traceIdOf(spanContext) !== undefined ? traceHeaders(spanContext) : undefined;
  const principal = response.locals.principal as ApiPrincipal | undefined;
  const requestId =
    typeof response.locals.requestId === 'string' ? response.locals.requestId : undefined;
  const carried = { traceparent: headers?.traceparent, tracestate: headers?.tracestate };
  if (!principal) return { requestId, trace: carried };
  const maxRunningJobs = principal.limits?.max_running_jobs;
  return {
    apiKey:
      maxRunningJobs !== undefined
        ? { id: principal.keyId, maxRunningJobs }
        : { id: principal.keyId },
    requestId,
    trace: carried,
  };
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
