import type { ModelEntry } from '../catalog/model-catalog';
import type { ModelDeployment } from '../catalog/model-deployments';
import type { ReasoningOptions } from '../messages/tool-definition';
import type { RateLimitInfo, TokenCounts } from '../providers/language-model';

/**
 * Why a call has to wait: a window of our own limits is full (`rpm`, `tpm`), the provider
 * answered 429 with a Retry-After (`retry_after`), or its `x-ratelimit-*` headers said its
 * requests or tokens are spent (`provider_headers`).
 */
export type ThrottleReason = 'rpm' | 'tpm' | 'retry_after' | 'provider_headers';

/**
 * How a call that went ahead ended, for reconciling its reservation: the tokens it used and
 * the provider's rate-limit headers, or its error.
 */
export type CallSettlement =
  | { ok: true; usage: TokenCounts; rateLimit?: RateLimitInfo }
  | { ok: false; error: unknown };

/** The answer of a {@link CallGate}: go ahead (and settle afterwards), or wait this long. */
export type CallAdmission =
  | {
      admitted: true;
      /**
       * Reports how the call ended: actual usage replaces the estimate, a 429 pauses the model,
       * rate-limit headers may slow it down. Never throws.
       */
      settle(outcome: CallSettlement): Promise<void>;
      /** Gives the reservation back: the call was not made after all. Never throws. */
      release(): Promise<void>;
      /**
       * Set only when the caller asked to read the pause flag itself (`deferPause`) and the
       * gate had nothing else to count: the deployment's pause flag, unread. The caller must
       * read it atomically with its next step before the call (`CircuitBreaker.acquire`'s hold
       * flag) and, if it is set, ask again without `deferPause`.
       */
      pauseFlag?: string;
    }
  | { admitted: false; waitMs: number; reason: ThrottleReason };

/**
 * Admission control asked before every provider call of one request (primary, retries,
 * fallbacks, hedges). Short waits are slept inside `admit`; a longer one comes back as a
 * refusal, so the job can be parked instead of holding a worker slot.
 */
export interface CallGate {
  /**
   * @param deployment where the call goes; default the entry's first (or only) deployment
   * @param options.tryOnly one reservation attempt, no sleep, and a refusal takes no place in
   *   the schedule of waiting callers: a model's other deployments may have room (see
   *   `runModelChain`)
   * @param options.deferPause when the deployment has no window to count in, admit without
   *   reading its pause flag and hand the flag back (`pauseFlag`): the caller reads it in a
   *   step it makes anyway (one round trip fewer per call)
   */
  admit(
    entry: ModelEntry,
    deployment?: ModelDeployment,
    options?: GateAdmitOptions,
  ): Promise<CallAdmission>;
}

/** How a {@link CallGate} is asked (see `CallGate.admit`). */
export interface GateAdmitOptions {
  tryOnly?: boolean;
  deferPause?: boolean;
}

/** What a gate needs to know of the request whose calls it admits. */
export interface GateRequest {
  /** Estimated prompt tokens (the router's count). */
  inputTokens: number;
  /** The request's `max_tokens`, when it set one. */
  maxTokens?: number;
  /** The request's reasoning options: an effort raises what a Claude model may answer. */
  reasoning?: ReasoningOptions;
  /**
   * Answers one call produces, each up to the output limit (a micro-batched completions call
   * answers every prompt of its lines). Default 1.
   */
  answers?: number;
  /** Fields for log lines about this request's waits (job id, tenant…); never prompt text. */
  logFields?: Readonly<Record<string, unknown>>;
}

/** Makes the gate of one request (see `ProviderRateLimiter`). */
export interface CallGateFactory {
  gateFor(request: GateRequest): CallGate;
}
