import type { LlmqMetrics, Logger, ProviderRateLimiterListeners } from '@llmq/core';

/**
 * Metrics and log lines of the provider rate limiter: every wait (`rate-limit-wait`: slept
 * in the worker at debug level, handed back to park the job at info) and every pause of a
 * model for all workers (`rate-limit-pause`). Log lines carry the job's ids, never its prompt.
 */
export function rateLimitTelemetry(
  logger: Logger,
  metrics: LlmqMetrics | undefined,
): ProviderRateLimiterListeners {
  return {
    onWait(event) {
      const labels = { provider: event.provider, model: event.model };
      metrics?.rateLimitDelays.inc({ ...labels, limit: event.reason });
      metrics?.rateLimitDelaySeconds.inc(labels, event.waitMs / 1000);
      metrics?.rateLimitWaitSeconds.observe(
        { ...labels, limit: event.reason },
        event.waitMs / 1000,
      );
      const fields = {
        event: 'rate-limit-wait',
        ...event.logFields,
        provider: event.provider,
        routed_model: event.model,
        reason: event.reason,
        wait_ms: event.waitMs,
        action: event.action,
      };
      if (event.action === 'sleep') logger.debug('rate-limit-wait', fields);
      else logger.info('rate-limit-wait', fields);
    },
    onPause(event) {
      metrics?.rateLimitPauses.inc({
        provider: event.provider,
        model: event.model,
        reason: event.reason,
      });
      logger.warn('rate-limit-pause', {
        event: 'rate-limit-pause',
        ...event.logFields,
        provider: event.provider,
        routed_model: event.model,
        reason: event.reason,
        pause_ms: event.pauseMs,
      });
    },
    onError(error) {
      logger.warn('rate-limit-error', {
        event: 'rate-limit-error',
        error: error instanceof Error ? error.message : String(error),
      });
    },
  };
}
