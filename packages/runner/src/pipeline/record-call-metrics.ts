import type { AttemptRecord, LlmqMetrics } from '@llmq/core';

/**
 * Feeds `llm_cost_dollars` and `llm_fallbacks_total` from the calls one worker attempt made.
 * `alreadyRecorded` is how many calls earlier attempts of the same job listed (they carry
 * over in the job's progress), so no call is counted twice.
 */
export function recordCallMetrics(
  metrics: LlmqMetrics | undefined,
  attempts: readonly AttemptRecord[],
  alreadyRecorded: number,
): void {
  if (!metrics) return;
  for (let index = alreadyRecorded; index < attempts.length; index += 1) {
    const attempt = attempts[index];
    if (!attempt) continue;
    if (attempt.cost_usd > 0) {
      const tier = attempt.service_tier ?? 'standard';
      metrics.llmCost.inc({ model: attempt.model, tier }, attempt.cost_usd);
    }
    // A move down the chain: the previous model failed or was skipped (open circuit), and the
    // next call went to another model. Hedge arms run side by side and are no fallback.
    const previous = attempts[index - 1];
    if (
      previous &&
      previous.model !== attempt.model &&
      attempt.hedge === undefined &&
      (previous.outcome === 'error' || previous.outcome === 'skipped')
    ) {
      metrics.fallbacks.inc({
        from_model: previous.model,
        to_model: attempt.model,
        reason: previous.error_code ?? 'error',
      });
    }
  }
}
