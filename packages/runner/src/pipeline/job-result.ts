import {
  type AttemptRecord,
  type JobResult,
  type JobToolCall,
  type RoutingDecision,
  roundUsd,
  toJobUsage,
  toolCallsOf,
} from '@llmq/core';
import { type ChatAnswer, redactedAnswer } from './chat-stage';
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
export function buildJobResult(
  { answer: raw, entry }: ChatAnswer,
  parts: JobResultParts,
): JobResult {
  const { attempts, verdict } = parts;
  const answer = redactedAnswer(raw, verdict);
  const winner = lastSuccess(attempts);
  const providerMs = winner?.latency_ms ?? performance.now() - parts.callStartedAt;
  const toolCalls = toolCallsOf(answer.content).map(
    (call): JobToolCall => ({
      id: call.toolCallId,
      type: 'function',
      function: { name: call.toolName, arguments: call.arguments },
    }),
  );
  return {
    text: answer.text,
    message: {
      role: 'assistant',
      content: answer.text,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    },
    content: answer.content,
    finish_reason: answer.finishReason,
    ...(answer.stopSequence !== undefined ? { stop_sequence: answer.stopSequence } : {}),
    ...(answer.otherChoices !== undefined ? { other_choices: answer.otherChoices } : {}),
    ...(answer.logprobs !== undefined ? { logprobs: answer.logprobs } : {}),
    model: entry.id,
    upstream_model: answer.responseModel,
    provider: winner?.provider ?? entry.provider,
    ...(winner?.deployment !== undefined ? { deployment: winner.deployment } : {}),
    ...(answer.responseId ? { response_id: answer.responseId } : {}),
    ...(answer.systemFingerprint !== undefined
      ? { system_fingerprint: answer.systemFingerprint }
      : {}),
    ...(answer.serviceTier !== undefined ? { service_tier: answer.serviceTier } : {}),
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

/** The last call that answered (a retry's or fallback's winner), without copying the list. */
function lastSuccess(attempts: readonly AttemptRecord[]): AttemptRecord | undefined {
  for (let index = attempts.length - 1; index >= 0; index--) {
    if (attempts[index]?.outcome === 'success') return attempts[index];
  }
  return undefined;
}

/** The `job-end` log fields of a stored result: who answered, counts and timings, never text. */
export function resultLogFields(result: JobResult, outputLength: number): Record<string, unknown> {
  return {
    provider: result.provider,
    ...(result.deployment !== undefined ? { deployment: result.deployment } : {}),
    routed_model: result.model,
    calls: result.attempts?.length ?? 0,
    latency_ms: result.timings.provider_ms,
    input_tokens: result.usage.input_tokens,
    output_tokens: result.usage.output_tokens,
    output_length: outputLength,
  };
}
