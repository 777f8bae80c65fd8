import {
  contextFromTraceHeaders,
  type LlmqMetrics,
  type Logger,
  type PromptJobData,
  traceIdOf,
} from '@llmq/core';
import { type Context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';

export interface JobTelemetryOptions {
  tracer: Tracer;
  logger: Logger;
  metrics?: LlmqMetrics;
}

/** How one job attempt ended, as `llm_jobs_total{outcome}` counts it. */
export type AttemptOutcome = 'completed' | 'failed' | 'retried' | 'delayed';

/** How a worker attempt that threw ended: parked, final, or to be retried by BullMQ. */
export function attemptOutcomeOf(job: Job, error: unknown): AttemptOutcome {
  if (error instanceof DelayedError) return 'delayed';
  const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
  return error instanceof UnrecoverableError || lastAttempt ? 'failed' : 'retried';
}

/** What a job's span and log lines name (a batch line's `jobId` is `<batch>-<index>`). */
export type JobIdentity = Pick<
  PromptJobData,
  'jobId' | 'tenant' | 'model' | 'createdAt' | 'requestId' | 'traceparent' | 'tracestate'
>;

/** The telemetry of one job attempt: its span, its log fields, its metrics. */
export interface ObservedJob {
  /** The job span's context: provider spans are its children. */
  context: Context;
  /** `job_id`, `tenant`, `model`, `attempt`, `request_id`, `trace_id` for every log line. */
  logFields: Record<string, string | number | undefined>;
  /** The job store accepted the attempt; `startedAt` (epoch ms) gives the queue wait. */
  started(startedAt: number): void;
  /** The job store said the job is already final or cancelled: nothing to run. */
  skipped(): void;
  end(outcome: AttemptOutcome, error?: unknown): void;
}

/**
 * Starts a worker span per job attempt that continues the trace the API put in the job data
 * (`traceparent`), so one trace holds the API request, the job and its provider calls.
 */
export function createJobSpans({ tracer, metrics }: JobTelemetryOptions) {
  return {
    begin(job: Job, data: JobIdentity): ObservedJob {
      const queue = job.queueName;
      const attempt = job.attemptsMade + 1;
      const parent = contextFromTraceHeaders(data);
      const span = tracer.startSpan(
        `process ${queue}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'bullmq',
            'messaging.operation.type': 'process',
            'messaging.destination.name': queue,
            'messaging.message.id': data.jobId,
            'llmq.tenant': data.tenant,
            'llmq.model': data.model,
            'llmq.attempt': attempt,
          },
        },
        parent,
      );
      const context = trace.setSpan(parent, span);
      let finished = false;
      return {
        context,
        logFields: {
          job_id: data.jobId,
          tenant: data.tenant,
          model: data.model,
          attempt,
          request_id: data.requestId,
          trace_id: traceIdOf(context),
        },
        started(startedAt) {
          const waitMs = Math.max(0, startedAt - data.createdAt);
          span.setAttribute('llmq.queue_wait_ms', waitMs);
          // Only the first attempt measures the queue: a retry's wait includes its backoff.
          if (attempt === 1) metrics?.jobQueueWait.observe({ queue }, waitMs / 1000);
        },
        skipped() {
          finished = true;
          span.setAttribute('llmq.skipped', true);
          span.end();
          metrics?.jobs.inc({ queue, outcome: 'skipped' });
        },
        end(outcome, error) {
          if (finished) return;
          finished = true;
          span.setAttribute('llmq.outcome', outcome);
          if (outcome !== 'completed') {
            // The error's name, not its message: a failure's message is the provider's error
            // text, which may quote the prompt, and spans leave for a tracing backend.
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: error instanceof Error ? error.name : undefined,
            });
          }
          span.end();
          metrics?.jobs.inc({ queue, outcome });
        },
      };
    },
  };
}
