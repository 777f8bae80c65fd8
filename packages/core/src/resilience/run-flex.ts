import type { ModelEntry } from '../catalog/model-catalog';
import type { CallGate } from '../limits/call-gate';
import { callRequest } from '../providers/call-request';
import type { GenerateRequest, GenerateResult } from '../providers/language-model';
import { isProviderError } from '../providers/provider-error';
import type { AttemptRecord } from './attempt-record';
import type { CallRecorder } from './call-journal';
import { type ChainLink, callModel, chatCall } from './call-model';
import { isRetryableError } from './retry-policy';

/** Options of {@link runFlex}. */
export interface RunFlexOptions {
  link: ChainLink;
  request: Omit<GenerateRequest, 'headers' | 'signal' | 'serviceTier'>;
  /** When the job must be complete, epoch ms. */
  deadline: number;
  /** Per-call headers; `callNumber` counts this job's calls from 1. */
  headers?: (callNumber: number) => Record<string, string>;
  /** Calls this job made before (for `headers` numbering). */
  previousCalls?: number;
  gate?: CallGate;
  recorder?: CallRecorder;
  /** First wait after a flex 429, ms; doubled after each, up to `maxHoldDelayMs`. Default 500. */
  holdDelayMs?: number;
  /** Longest wait between two flex calls, ms. Default 10,000. */
  maxHoldDelayMs?: number;
  now?: () => number;
  sleep?: (milliseconds: number) => Promise<void>;
}

export type FlexOutcome =
  | { kind: 'success'; entry: ModelEntry; answer: GenerateResult; attempts: AttemptRecord[] }
  /** Flex did not answer in time (429s, a server error): run the job on standard now. */
  | { kind: 'standard'; attempts: AttemptRecord[]; calls: number }
  /** A final error (the request's fault): standard would fail the same way. */
  | { kind: 'failed'; error: unknown; attempts: AttemptRecord[] };

const realSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * A job's flex phase: calls the model on the flex tier; a 429 (flex capacity short) is held
 * and retried on flex, with a growing wait never shorter than Retry-After, while the deadline
 * still leaves time for a standard call after the next try (the model's `expected_latency_ms`
 * on standard, plus its flex latency); then it hands the job to standard. Flex 429s do not
 * count against the model's circuit (no breaker here): standard capacity is another matter.
 */
export async function runFlex(options: RunFlexOptions): Promise<FlexOutcome> {
  const { link, deadline } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const standardMs = link.entry.expected_latency_ms;
  const flexMs = link.entry.service_tiers.flex?.expected_latency_ms ?? standardMs;
  const maxHold = options.maxHoldDelayMs ?? 10_000;
  let hold = options.holdDelayMs ?? 500;
  let calls = options.previousCalls ?? 0;
  const attempts: AttemptRecord[] = [];
  // Room for one more flex try and, should it fail, a standard call.
  const room = (waitMs: number) => now() + waitMs + flexMs + standardMs <= deadline;
  if (!room(0)) return { kind: 'standard', attempts, calls };
  for (;;) {
    calls += 1;
    const outcome = await callModel(
      chatCall(
        link,
        callRequest(options.request, { serviceTier: 'flex', headers: options.headers?.(calls) }),
      ),
      { gate: options.gate, recorder: options.recorder },
    );
    if (!outcome.ok && outcome.throttled) {
      // Our own rate limit for the model: standard shares it, so waiting is the same either way.
      calls -= 1;
      if (!room(outcome.throttled.waitMs)) return { kind: 'standard', attempts, calls };
      await sleep(outcome.throttled.waitMs);
      continue;
    }
    attempts.push(outcome.attempt);
    if (outcome.ok) return { kind: 'success', entry: link.entry, answer: outcome.answer, attempts };
    if (!outcome.called) return { kind: 'standard', attempts, calls: calls - 1 };
    const { error } = outcome;
    if (!isRetryableError(error)) return { kind: 'failed', error, attempts };
    if (!isProviderError(error) || error.statusCode !== 429)
      return { kind: 'standard', attempts, calls };
    const waitMs = Math.max(hold, Math.ceil(error.retryAfterMs ?? 0));
    if (!room(waitMs)) return { kind: 'standard', attempts, calls };
    await sleep(waitMs);
    hold = Math.min(hold * 2, maxHold);
  }
}
