import { ProviderError } from './provider-error';

/**
 * The AbortSignal of one provider call. It aborts when the caller's signal aborts or when the
 * adapter's own timer runs out, and remembers which of the two happened: a timeout is worth
 * another try (`timeout`), a caller's abort is not (`aborted`).
 *
 * Adapters hand {@link CallSignal.signal} to the HTTP layer and, on any failure, ask
 * {@link CallSignal.abortError} first: after an abort the transport reports whatever it likes
 * (an SDK abort error, a reset socket, or, for the SDK streams, a silent end).
 */
export class CallSignal {
  private readonly controller = new AbortController();
  private readonly callerSignal: AbortSignal | undefined;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private didTimeOut = false;
  private readonly onCallerAbort = () => this.controller.abort(this.callerSignal?.reason);
  private readonly onTimeout = () => {
    this.didTimeOut = true;
    this.controller.abort(new Error(`No answer within ${this.timeoutMs} ms`));
  };

  /**
   * @param callerSignal the request's own signal (job cancellation, losing hedge), if any
   * @param timeoutMs how long the call may wait for the provider, in milliseconds
   */
  constructor(callerSignal: AbortSignal | undefined, timeoutMs: number) {
    this.callerSignal = callerSignal;
    this.timeoutMs = timeoutMs;
    if (callerSignal?.aborted) {
      this.controller.abort(callerSignal.reason);
      return;
    }
    callerSignal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.timer = setTimeout(this.onTimeout, timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Starts the timer over. Streams call this on every chunk, so for a stream `timeoutMs`
   * bounds the wait for the first byte and every gap between chunks, not the whole answer:
   * a long generation that keeps talking is healthy.
   */
  restartTimer(): void {
    if (this.timer === undefined || this.controller.signal.aborted) return;
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

  /** Stops the timer and lets go of the caller's signal. Call it once the call is settled. */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.callerSignal?.removeEventListener('abort', this.onCallerAbort);
  }
}
