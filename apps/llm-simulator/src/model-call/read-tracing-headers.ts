import type { IncomingHttpHeaders } from 'node:http';
import type { TracingHeaders } from '../counters/simulator-counters';

/** The llmq tracing headers a request carries, for the request log. */
export function readTracingHeaders(headers: IncomingHttpHeaders): TracingHeaders {
  const tracing: TracingHeaders = {};
  const jobId = headers['x-llmq-job-id'];
  const attempt = headers['x-llmq-attempt'];
  if (typeof jobId === 'string') tracing['x-llmq-job-id'] = jobId;
  if (typeof attempt === 'string') tracing['x-llmq-attempt'] = attempt;
  if (typeof headers.traceparent === 'string') tracing.traceparent = headers.traceparent;
  return tracing;
}
