import type { Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';

/** The instrumentation scope name of llmq's spans. */
export const tracerName = 'llmq';

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
