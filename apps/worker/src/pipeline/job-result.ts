import {
  type AttemptRecord,
  type JobResult,
  type RoutingDecision,
  roundUsd,
  toJobUsage,
} from '@llmq/core';
import type { ChatAnswer } from './chat-stage';
import type { OutputVerdict } from './job-runner';

/** What a prompt job's result is made of, beside the answer. */
export interface JobResultParts {
  attempts: AttemptRecord[];
  routing: RoutingDecision;
  verdict?: OutputVerdict;
  /** Submission, start of this run and end, epoch ms. */
  createdAt: number;
  startedAt: number;
  finishedAt: number;
  /** When the provider stage began (`performance.now()`), for a result without a winner. */
  callStartedAt: number;
}

/** A prompt job's stored result: the answer (redacted by the output filter), usage, timings, cost. */
export function buildJobResult({ answer, entry }: ChatAnswer, parts: JobResultParts): JobResult {
  const { attempts, verdict } = parts;
  const winner = [...attempts].reverse().find((attempt) => attempt.outcome === 'success');
  const providerMs = winner?.latency_ms ?? performance.now() - parts.callStartedAt;
  const text = verdict?.texts[0] ?? answer.text;
  return {
    text,
    message: { role: 'assistant', content: text },
    finish_reason: answer.finishReason,
    model: entry.id,
    upstream_model: answer.responseModel,
    provider: entry.provider,
    ...(answer.responseId ? { response_id: answer.responseId } : {}),
    usage: toJobUsage(answer.usage),
    timings: {
      queue_wait_ms: Math.max(0, parts.startedAt - parts.createdAt),
      provider_ms: Math.round(providerMs * 10) / 10,
      total_ms: Math.max(0, parts.finishedAt - parts.createdAt),
    },
    routing: parts.routing,
    attempts,
    cost_usd: roundUsd(attempts.reduce((sum, attempt) => sum + attempt.cost_usd, 0)),
    ...(verdict && verdict.findings.length > 0 ? { filter_findings: verdict.findings } : {}),
  };
}

/** The `job-end` log fields of a stored result: who answered, counts and timings, never text. */
export function resultLogFields(result: JobResult, outputLength: number): Record<string, unknown> {
  return {
    provider: result.provider,
    routed_model: result.model,
    calls: result.attempts?.length ?? 0,
    latency_ms: result.timings.provider_ms,
    input_tokens: result.usage.input_tokens,
    output_tokens: result.usage.output_tokens,
    output_length: outputLength,
  };
}
