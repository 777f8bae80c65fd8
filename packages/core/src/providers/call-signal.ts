import type { AbortWatch } from './http/provider-response';
import { ProviderError } from './provider-error';

/**
 * The abort of one provider call. It aborts when the caller's signal aborts or when the
 * adapter's own timer runs out, and remembers which of the two happened: a timeout is worth
 * another try (`timeout`), a caller's abort is not (`aborted`).
 *
 * Adapters on the lean transport (`postJson`) hand it the call itself, an {@link AbortWatch}
 * answered from a field and one listener list; {@link CallSignal.signal}, a real `AbortSignal`
 * for an SDK, is made only when asked for: an `AbortController` and the `EventTarget` listener
 * on it cost every call ~5 µs and a few objects, and almost no call ever aborts. On any failure
 * adapters ask {@link CallSignal.abortError} first: after an abort the transport reports
 * whatever it likes (an SDK abort error, a reset socket, or, for the SDK streams, a silent end).
 */
export class CallSignal implements AbortWatch {
  private controller: AbortController | undefined;
  private readonly callerSignal: AbortSignal | undefined;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private didTimeOut = false;
  /** Set once, by the first abort. */
  private abortedBy: { reason: unknown } | undefined;
  /** Who waits for the abort (the transport's handler); none once it happened. */
  private listeners: Array<() => void> | undefined;
  private readonly onCallerAbort = () => this.abort(this.callerSignal?.reason);
  private readonly onTimeout = () => {
    this.didTimeOut = true;
    this.abort(new Error(`No answer within ${this.timeoutMs} ms`));
  };

  /**
   * @param callerSignal the request's own signal (job cancellation, losing hedge), if any
   * @param timeoutMs how long the call may wait for the provider, in milliseconds
   */
  constructor(callerSignal: AbortSignal | undefined, timeoutMs: number) {
    this.callerSignal = callerSignal;
    this.timeoutMs = timeoutMs;
    if (callerSignal?.aborted) {
      this.abort(callerSignal.reason);
      return;
    }
    callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.timer = setTimeout(this.onTimeout, timeoutMs);
  }

  get aborted(): boolean {
    return this.abortedBy !== undefined;
  }

  get reason(): unknown {
    return this.abortedBy?.reason;
  }

  /** An `AbortSignal` that follows this call (for an SDK that takes one), made on first use. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortedBy !== undefined) this.controller.abort(this.abortedBy.reason);
    }
    return this.controller.signal;
  }

  /** Calls `listener` once when the call aborts (not at all if it already has, as a signal). */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.abortedBy !== undefined) return;
    if (this.listeners === undefined) this.listeners = [listener];
    else if (!this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const index = this.listeners?.indexOf(listener) ?? -1;
    if (index >= 0) this.listeners?.splice(index, 1);
  }

  /**
   * Starts the timer over. Streams call this on every chunk, so for a stream `timeoutMs`
   * bounds the wait for the first byte and every gap between chunks, not the whole answer:
   * a long generation that keeps talking is healthy.
   */
  restartTimer(): void {
    if (this.timer === undefined || this.abortedBy !== undefined) return;
    this.timer.refresh();
  }

  /** The error that explains this call's failure if the call was aborted, otherwise undefined. */
  abortError(provider: string, cause?: unknown): ProviderError | undefined {
    if (this.didTimeOut) {
      return new ProviderError({
        code: 'timeout',
        message: `${provider}: no answer within ${this.timeoutMs} ms`,
        provider,
        cause,
      });
    }
    if (this.callerSignal?.aborted) {
      return new ProviderError({
        code: 'aborted',
        message: `${provider}: the call was aborted by the caller`,
        provider,
        cause,
      });
    }
    return undefined;
  }

  private abort(reason: unknown): void {
    if (this.abortedBy !== undefined) return;
    this.abortedBy = { reason };
    this.controller?.abort(reason);
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) listener();
  }

  /** Stops the timer and lets go of the caller's signal. Call it once the call is settled. */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }
}
