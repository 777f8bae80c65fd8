import { type Context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { W3CTraceContextPropagator } from '@opentelemetry/core';
import { z } from 'zod';
import { type Tracing, type TracingOptions, tracerName } from './tracing-types';

export { type Tracing, type TracingOptions, tracerName } from './tracing-types';

/** Environment variables for tracing, spread into each app's env schema. */
export const tracingEnvShape = {
  /**
   * OTLP/HTTP collector base URL (e.g. `http://otel-collector:4318`); spans go to
   * `<endpoint>/v1/traces`. Unset: tracing is off (spans are no-ops, nothing is exported).
   */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  /** `service.name` of the exported spans; defaults to the app's name (`llmq-api`, `llmq-worker`). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
};

/**
 * Builds a tracer for one process. With neither an endpoint nor an exporter it returns the
 * no-op tracer, so instrumented code costs next to nothing when tracing is off.
 *
 * The provider is not registered globally: llmq passes its tracer and parent contexts
 * explicitly (API request → job data → worker span → provider span), so several tracers can
 * live in one test process and no async-context machinery sits on the hot path.
 */
export function createTracing(options: TracingOptions): Tracing {
  if (!options.otlpEndpoint && !options.exporter) {
    return { tracer: trace.getTracer(tracerName), shutdown: async () => undefined };
  }
  // Loaded here, not imported: a process with tracing off never loads the OpenTelemetry SDK.
  const { createTracerProvider } =
    require('./tracer-provider') as typeof import('./tracer-provider');
  return createTracerProvider(options);
}

let loadedPropagator: W3CTraceContextPropagator | undefined;
/**
 * The W3C propagator, loaded on the first trace to carry (@opentelemetry/core is ~4.5 MB): a
 * process that never sees a span or a `traceparent` never loads it.
 */
function propagator(): W3CTraceContextPropagator {
  if (!loadedPropagator) {
    const core = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
    loadedPropagator = new core.W3CTraceContextPropagator();
  }
  return loadedPropagator;
}
type Carrier = Record<string, string>;
const carrierAccess = {
  get: (carrier: Carrier, key: string) => carrier[key],
  keys: (carrier: Carrier) => Object.keys(carrier),
};

/**
 * The W3C `traceparent` (and `tracestate`) of a context, to carry a trace across a process
 * boundary: in a job's data, or in the headers of a provider call. Empty when the context
 * holds no valid span: with tracing off the no-op tracer's spans carry the invalid (all-zero)
 * context, which the propagator would skip anyway, so it is not loaded for them.
 */
export function traceHeaders(parent: Context): Record<string, string> {
  const carrier: Carrier = {};
  const spanContext = trace.getSpanContext(parent);
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return carrier;
  propagator().inject(parent, carrier, { set: (target, key, value) => (target[key] = value) });
  return carrier;
}

/** The context a `traceparent` (from a job or an HTTP header) continues; the root when absent. */
export function contextFromTraceHeaders(headers: {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}): Context {
  if (!headers.traceparent) return ROOT_CONTEXT;
  const carrier: Carrier = { traceparent: headers.traceparent };
  if (headers.tracestate) carrier.tracestate = headers.tracestate;
  return propagator().extract(ROOT_CONTEXT, carrier, carrierAccess);
}

/** The trace id of a context's span, for log lines; undefined when there is no real span. */
export function traceIdOf(parent: Context): string | undefined {
  const spanContext = trace.getSpanContext(parent);
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
