/** What the deadline check of a provider batch weighs, all in ms. */
export interface ProviderBatchDeadlineInput {
  /** Now, epoch ms. */
  now: number;
  /** When the provider took the batch, epoch ms. */
  submittedAt: number;
  /** When its lines must be complete, epoch ms. */
  completeBy: number;
  /** How long the provider is expected to take (measured, else the catalog's `expected_turnaround_ms`). */
  expectedTurnaroundMs: number;
  /** How long llmq takes to run a line itself on standard (the model's `expected_latency_ms`). */
  standardLatencyMs: number;
  /** Time until the next poll, ms: a batch that misses it is only seen then. */
  pollIntervalMs: number;
}

/**
 * Whether a provider batch will miss its deadline, checked on each poll: it is expected to end
 * at its submit time plus the expected turnaround (or now, when it is already late), seen at
 * the next poll, and its lines then still need a standard call each. When that is after the
 * deadline, llmq cancels it and runs what is left itself. As the tier choice, it keeps room for
 * the standard fallback.
 */
export function providerBatchWillMissDeadline(input: ProviderBatchDeadlineInput): boolean {
  const expectedEnd = Math.max(input.submittedAt + input.expectedTurnaroundMs, input.now);
  return expectedEnd + input.pollIntervalMs + input.standardLatencyMs > input.completeBy;
}
