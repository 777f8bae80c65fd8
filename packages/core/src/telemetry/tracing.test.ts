import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { contextFromTraceHeaders, createTracing, traceHeaders, traceIdOf } from './tracing';

describe('tracing', () => {
  it('is a no-op without an endpoint or exporter: no trace context to carry', async () => {
    const tracing = createTracing({ serviceName: 'x' });
    const span = tracing.tracer.startSpan('nothing', {}, ROOT_CONTEXT);
    const context = trace.setSpan(ROOT_CONTEXT, span);
    span.end();
    expect(traceHeaders(context)).toEqual({});
    expect(traceIdOf(context)).toBeUndefined();
    await tracing.shutdown();
  });

  it('carries a span context through a traceparent and back', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = createTracing({ serviceName: 'svc', exporter });
    const parent = tracing.tracer.startSpan('parent', {}, ROOT_CONTEXT);
    const headers = traceHeaders(trace.setSpan(ROOT_CONTEXT, parent));
    expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    const continued = contextFromTraceHeaders(headers);
    expect(traceIdOf(continued)).toBe(parent.spanContext().traceId);
    const child = tracing.tracer.startSpan('child', {}, continued);
    child.end();
    parent.end();
    const [finishedChild] = exporter.getFinishedSpans();
    expect(finishedChild?.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(finishedChild?.resource.attributes['service.name']).toBe('svc');
    await tracing.shutdown();
  });

  it('starts a new trace when the carried traceparent is missing or malformed', () => {
    expect(traceIdOf(contextFromTraceHeaders({}))).toBeUndefined();
    expect(traceIdOf(contextFromTraceHeaders({ traceparent: 'garbage' }))).toBeUndefined();
  });
});
