import type { ModelEntry } from '../catalog/model-catalog';
import type { CallGate, ThrottleReason } from '../limits/call-gate';
import type { GenerateRequest, GenerateResult } from '../providers/language-model';
import type { AttemptRecord } from './attempt-record';
import type { CallRecorder } from './call-journal';
import { type ChainLink, callModel, chatCall } from './call-model';
import type { CircuitBreaker } from './circuit-breaker';
import { isRetryableError, type RetryPolicy, retryDelayMs } from './retry-policy';

/** Where a parked job picks its chain up again. */
export interface ChainResume {
  /** Catalog id of the model to call next. */
  model: string;
  /** Retries of that model already made. */
  retry: number;
}

export interface RunModelChainOptions {
  /** The models to try, in order (the router's chain). */
  links: readonly ChainLink[];
  /** The request; `headers(n)` adds per-call headers (n counts calls of this job from 1). */
  request: Omit<GenerateRequest, 'headers'>;
  headers?: (callNumber: number) => Record<string, string>;
  /** Calls made before (earlier worker attempts), so call numbers keep counting. */
  previousCalls?: number;
  breaker?: CircuitBreaker;
  /** Provider rate limits asked before every call (see `ProviderRateLimiter`); absent: none. */
  gate?: CallGate;
  /** Records each call as started before it is made (see `call-journal.ts`). */
  recorder?: CallRecorder;
  policy: RetryPolicy;
  resume?: ChainResume;
  /**
   * Earliest time (epoch ms) each model may be called again, by catalog id: the Retry-After
   * of calls made before this run (an earlier worker attempt, a hedge). See {@link notBeforeOf}.
   */
  notBefore?: Readonly<Record<string, number>>;
  /** Injectable for tests. */
  sleep?: (milliseconds: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** When each model may next be called, from the Retry-After of earlier calls. */
export function notBeforeOf(attempts: readonly AttemptRecord[]): Record<string, number> {
  const notBefore: Record<string, number> = {};
  for (const attempt of attempts) {
    // A flex tier's 429 says nothing about the model's standard capacity.
    if (attempt.retry_after_ms === undefined || attempt.service_tier !== undefined) continue;
    const until = attempt.started_at + Math.ceil(attempt.latency_ms) + attempt.retry_after_ms;
    notBefore[attempt.model] = Math.max(notBefore[attempt.model] ?? 0, until);
  }
  return notBefore;
}

export type ChainOutcome =
  | { kind: 'success'; entry: ModelEntry; answer: GenerateResult; attempts: AttemptRecord[] }
  /**
   * A final error (no retry, no fallback), or every link exhausted: `error` is the last real
   * error, undefined when no model could even be called (all circuits open).
   */
  | { kind: 'failed'; error: unknown; retryable: boolean; attempts: AttemptRecord[] }
  /** The last model asked for a wait longer than the inline limit: park the job, then resume. */
  | {
      kind: 'wait';
      delayMs: number;
      resume: ChainResume;
      /** The error that asked for the wait. */
      error: unknown;
      /** Set when a rate limit (ours, or a model paused for every worker) asked for the wait. */
      throttle?: ThrottleReason;
      attempts: AttemptRecord[];
    };

const realSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * Runs a fallback chain: each model is retried on retryable errors (full-jitter backoff, never
 * sooner than its Retry-After) up to the policy's limit, then the chain moves to the next model;
 * an open circuit skips a model at once; a final error (400, 401, content refusal…) ends
 * everything with no retry and no fallback. A wait too long to hold a worker slot moves on to
 * the next model when there is one, and otherwise asks the caller to park the job.
 */
export async function runModelChain(options: RunModelChainOptions): Promise<ChainOutcome> {
  const { links, policy, breaker } = options;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const attempts: AttemptRecord[] = [];
  let calls = options.previousCalls ?? 0;
  let lastError: unknown;
  let start = 0;
  if (options.resume) {
    const index = links.findIndex((link) => link.entry.id === options.resume?.model);
    if (index >= 0) start = index;
  }

  for (let index = start; index < links.length; index += 1) {
    const link = links[index] as ChainLink;
    const isLast = index === links.length - 1;
    let retry = options.resume && index === start ? options.resume.retry : 0;
    // A model that asked an earlier call to wait is not called before that wait is over.
    const earlyBy = (options.notBefore?.[link.entry.id] ?? 0) - now();
    if (earlyBy > 0) {
      if (earlyBy > policy.maxInlineWaitMs) {
        if (!isLast) continue;
        return {
          kind: 'wait',
          delayMs: earlyBy,
          resume: { model: link.entry.id, retry },
          error: lastError,
          attempts,
        };
      }
      await sleep(earlyBy);
    }
    for (;;) {
      calls += 1;
      const outcome = await callModel(
        chatCall(link, { ...options.request, headers: options.headers?.(calls) }),
        { breaker, gate: options.gate, recorder: options.recorder },
      );
      if (!outcome.ok && outcome.throttled) {
        calls -= 1;
        const { waitMs, reason } = outcome.throttled;
        // A model paused by a provider's 429 is treated like its Retry-After: the next model
        // may serve meanwhile. Out of capacity, the job waits for this model.
        if (reason === 'retry_after' && !isLast) break;
        return {
          kind: 'wait',
          delayMs: waitMs,
          resume: { model: link.entry.id, retry },
          error: lastError,
          throttle: reason,
          attempts,
        };
      }
      attempts.push(outcome.attempt);
      if (outcome.ok)
        return { kind: 'success', entry: link.entry, answer: outcome.answer, attempts };
      if (!outcome.called) {
        calls -= 1;
        break;
      }
      if (!isRetryableError(outcome.error)) {
        return { kind: 'failed', error: outcome.error, retryable: false, attempts };
      }
      lastError = outcome.error;
      if (retry >= policy.maxRetriesPerModel) break;
      const delayMs = retryDelayMs(outcome.error, retry, policy, options.random);
      retry += 1;
      if (delayMs > policy.maxInlineWaitMs) {
        if (!isLast) break;
        return {
          kind: 'wait',
          delayMs,
          resume: { model: link.entry.id, retry },
          error: outcome.error,
          attempts,
        };
      }
      await sleep(delayMs);
    }
  }
  return { kind: 'failed', error: lastError, retryable: true, attempts };
}
