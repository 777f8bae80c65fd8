import type { BatchedCallReport, LlmqMetrics, Logger } from '@llmq/core';

/**
 * Feeds the provider-call metrics from one micro-batched call (`llm_requests_total`,
 * `llm_latency_seconds`, `llm_tokens_total`: one call, however many lines it carried) and
 * `llm_micro_batch_size`; logs the call (counts only, never input text).
 */
export function recordBatchedCall(
  metrics: LlmqMetrics | undefined,
  logger: Logger,
  report: BatchedCallReport,
): void {
  const model = report.entry.id;
  if (report.outcome !== 'skipped' && metrics) {
    metrics.llmRequests.inc({ model, status: report.outcome });
    metrics.llmLatency.observe({ model }, report.latencyMs / 1000);
    metrics.microBatchSize.observe({ model, endpoint: report.endpoint }, report.lines);
    if (report.inputTokens > 0) metrics.llmTokens.inc({ model, type: 'input' }, report.inputTokens);
    if (report.outputTokens > 0)
      metrics.llmTokens.inc({ model, type: 'output' }, report.outputTokens);
  }
  // One line per provider call (however many batch lines it carried), like chat calls'
  // `llm-response` / `llm-error` lines.
  const level = report.outcome === 'success' ? 'info' : 'warn';
  logger[level]('batched-call', {
    event: 'batched-call',
    endpoint: report.endpoint,
    model,
    ...(report.deployment !== undefined ? { deployment: report.deployment } : {}),
    provider: report.entry.provider,
    lines: report.lines,
    inputs: report.inputs,
    outcome: report.outcome,
    error_code: report.errorCode,
    latency_ms: report.latencyMs,
    input_tokens: report.inputTokens,
    output_tokens: report.outputTokens,
  });
}
