import type { RateWindowState } from './rate-limit-headers';

/** Per-model limits; absent or 0 means unlimited. */
export interface RateLimits {
  rpm?: number;
  tpm?: number;
  /**
   * The sliding window, ms, when not the limiter's (a minute); the window then admits
   * `floor(rpm × rateWindowMs / 60000)` requests (at least 1), and tokens alike.
   */
  rateWindowMs?: number;
}

/** Whether a request may go ahead, and the window after deciding. */
export type RateDecision =
  | { admitted: true; state: RateWindowState | null }
  | { admitted: false; limitedBy: 'rpm' | 'tpm'; retryAfterMs: number; state: RateWindowState };

/** Requests admitted in the last window, oldest first, as a queue over two arrays. */
class ModelWindow {
  times: number[] = [];
  tokens: number[] = [];
  head = 0;
  tokenSum = 0;

  get size(): number {
    return this.times.length - this.head;
  }

  evictBefore(cutoff: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) {
      this.tokenSum -= this.tokens[this.head]!;
      this.head += 1;
    }
    // Compact now and then so the arrays do not grow forever.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.tokens = this.tokens.slice(this.head);
      this.head = 0;
    }
  }

  /** Milliseconds until enough of the window expires for `tokens` more to fit under `limit`. */
  msUntilTokensFit(tokens: number, limit: number, now: number, windowMs: number): number {
    let inWindow = this.tokenSum;
    for (let index = this.head; index < this.times.length; index += 1) {
      inWindow -= this.tokens[index]!;
      if (inWindow + tokens <= limit) return this.times[index]! + windowMs - now;
    }
    return windowMs;
  }
}

/** One minute, as `rpm` and `tpm` mean. */
export const RATE_WINDOW_MS = 60_000;

/** What `limit` per minute allows in a window of `windowMs`: at least 1 when limited. */
export function perWindow(limit: number, windowMs: number): number {
  if (limit <= 0) return 0;
  return Math.max(1, Math.floor((limit * windowMs) / RATE_WINDOW_MS));
}

/**
 * Enforces each model's `rpm` and `tpm` over a sliding window: a request is admitted when the
 * requests and tokens admitted in the last `windowMs`, plus this one, stay within the limits.
 */
export class SlidingWindowLimiter {
  readonly #windows = new Map<string, ModelWindow>();

  constructor(private readonly windowMs = RATE_WINDOW_MS) {}

  /** Admits (and counts) a request of `tokens` tokens, or says which limit it would break. */
  admit(model: string, limits: RateLimits, tokens: number, now: number): RateDecision {
    const windowMs = limits.rateWindowMs ?? this.windowMs;
    const rpm = perWindow(limits.rpm ?? 0, windowMs);
    const tpm = perWindow(limits.tpm ?? 0, windowMs);
    if (rpm <= 0 && tpm <= 0) return { admitted: true, state: null };
    let window = this.#windows.get(model);
    if (window === undefined) {
      window = new ModelWindow();
      this.#windows.set(model, window);
    }
    window.evictBefore(now - windowMs);
    if (rpm > 0 && window.size >= rpm) {
      const retryAfterMs = window.times[window.head]! + windowMs - now;
      return {
        admitted: false,
        limitedBy: 'rpm',
        retryAfterMs,
        state: this.#state(window, rpm, tpm, now, windowMs),
      };
    }
    if (tpm > 0 && window.tokenSum + tokens > tpm) {
      const retryAfterMs = window.msUntilTokensFit(tokens, tpm, now, windowMs);
      return {
        admitted: false,
        limitedBy: 'tpm',
        retryAfterMs,
        state: this.#state(window, rpm, tpm, now, windowMs),
      };
    }
    window.times.push(now);
    window.tokens.push(tokens);
    window.tokenSum += tokens;
    return { admitted: true, state: this.#state(window, rpm, tpm, now, windowMs) };
  }

  /** Forgets every window. */
  reset(): void {
    this.#windows.clear();
  }

  #state(
    window: ModelWindow,
    rpm: number,
    tpm: number,
    now: number,
    windowMs: number,
  ): RateWindowState {
    const resetMs = window.size > 0 ? window.times[window.head]! + windowMs - now : 0;
    return {
      limitRequests: rpm > 0 ? rpm : null,
      remainingRequests: rpm - window.size,
      resetRequestsMs: resetMs,
      limitTokens: tpm > 0 ? tpm : null,
      remainingTokens: tpm - window.tokenSum,
      resetTokensMs: resetMs,
    };
  }
}
