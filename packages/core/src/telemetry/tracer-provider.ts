import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { type Tracing, type TracingOptions, tracerName } from './tracing-types';

/**
 * The OpenTelemetry SDK side of {@link Tracing}: loaded by `createTracing` only when tracing is
 * on, so a process without a collector never loads the SDK and its exporter (~150 modules).
 */
export function createTracerProvider(options: TracingOptions): Tracing {
  const processors: SpanProcessor[] = [];
  if (options.otlpEndpoint) {
    const url = `${options.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }
  if (options.exporter) processors.push(new SimpleSpanProcessor(options.exporter));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: processors,
  });
  return { tracer: provider.getTracer(tracerName), shutdown: () => provider.shutdown() };
}
