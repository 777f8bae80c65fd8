import { type Context, ROOT_CONTEXT, type Tracer, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { z } from 'zod';

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

export interface TracingOptions {
  /** `service.name` resource attribute. */
  serviceName: string;
  /** OTLP/HTTP base URL; spans are batched and posted to `<endpoint>/v1/traces`. */
  otlpEndpoint?: string;
  /** Extra exporter, flushed span by span (tests pass an `InMemorySpanExporter`). */
  exporter?: SpanExporter;
}

export interface Tracing {
  /** The tracer llmq's spans come from; a no-op tracer when tracing is off. */
  tracer: Tracer;
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

/** The instrumentation scope name of llmq's spans. */
export const tracerName = 'llmq';

/**
 * Builds a tracer for one process. With neither an endpoint nor an exporter it returns the
 * no-op tracer, so instrumented code costs next to nothing when tracing is off.
 *
 * The provider is not registered globally: llmq passes its tracer and parent contexts
 * explicitly (API request → job data → worker span → provider span), so several tracers can
 * live in one test process and no async-context machinery sits on the hot path.
 */
export function createTracing(options: TracingOptions): Tracing {
  const processors: SpanProcessor[] = [];
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  if (processors.length === 0) {
    return { tracer: trace.getTracer(tracerName), shutdown: async () => undefined };
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: processors,
  });
  return { tracer: provider.getTracer(tracerName), shutdown: () => provider.shutdown() };
}

const propagator = new W3CTraceContextPropagator();
type Carrier = Record<string, string>;
const carrierAccess = {
  get: (carrier: Carrier, key: string) => carrier[key],
  keys: (carrier: Carrier) => Object.keys(carrier),
};

/**
 * The W3C `traceparent` (and `tracestate`) of a context, to carry a trace across a process
 * boundary: in a job's data, or in the headers of a provider call. Empty when the context
 * holds no sampled span (tracing off).
 */
export function traceHeaders(parent: Context): Record<string, string> {
  const carrier: Carrier = {};
  propagator.inject(parent, carrier, { set: (target, key, value) => (target[key] = value) });
  return carrier;
}

/** The context a `traceparent` (from a job or an HTTP header) continues; the root when absent. */
export function contextFromTraceHeaders(headers: {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}): Context {
  const carrier: Carrier = {};
  if (headers.traceparent) carrier.traceparent = headers.traceparent;
  if (headers.tracestate) carrier.tracestate = headers.tracestate;
  return propagator.extract(ROOT_CONTEXT, carrier, carrierAccess);
}

/** The trace id of a context's span, for log lines; undefined when there is no real span. */
export function traceIdOf(parent: Context): string | undefined {
  const spanContext = trace.getSpanContext(parent);
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}
