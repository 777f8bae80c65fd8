import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';

/** Response headers as undici parses them: names lower-cased, a repeated header as an array. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/**
 * A provider's answer, handed over as soon as its status and headers arrive: a plain Node
 * `Readable` of the body's bytes (no web streams), so it reads like node:http's
 * `IncomingMessage` did (`setEncoding`, `for await`, `readableEnded`, `destroy`).
 *
 * The body follows the socket with backpressure (a full buffer pauses the parser, a read
 * resumes it). Destroying the response before its end aborts the request, which closes its
 * socket: a half-read answer cannot be reused.
 */
export class ProviderResponse extends Readable {
  /** True once undici has the whole body (it may still be buffered here, unread). */
  complete = false;

  constructor(
    readonly statusCode: number,
    readonly headers: ResponseHeaders,
    private readonly controller: Dispatcher.DispatchController,
  ) {
    super();
  }

  override _read(): void {
    this.controller.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.complete) {
      this.controller.abort(error ?? new Error('The response was dropped before its end'));
    }
    callback(error);
  }
}

/**
 * What the transport watches for a call's abort: an `AbortSignal`, or the adapters'
 * `CallSignal`, which answers the same three members without an `AbortController` and an
 * `EventTarget` listener per call (~2% of a worker's CPU at c=50, docs/performance.md).
 */
export interface AbortWatch {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * What a dispatch handler of one call shares: it watches the call's signal itself, so an abort
 * is seen at once (even while the request still waits for a connection), and aborts a request
 * the signal had aborted before it started. The listener goes when the request settles
 * ({@link stopWatching}); what an abort does is the handler's own ({@link abort}).
 */
export abstract class AbortWatchingHandler {
  protected controller: Dispatcher.DispatchController | undefined;
  private readonly onAbort = () => this.abort();

  constructor(protected readonly signal: AbortWatch) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) controller.abort(abortError(this.signal));
  }

  /** The call's signal aborted before the request settled. */
  protected abstract abort(): void;

  protected stopWatching(): void {
    this.signal.removeEventListener('abort', this.onAbort);
  }
}

/**
 * The undici dispatch handler of one POST: resolves with the {@link ProviderResponse} when the
 * headers arrive, then feeds it the body. It watches the call's signal itself: an abort fails
 * the pending promise at once (even while the request still waits for a connection) or the
 * body, with node:http's `AbortError`; the listener goes when the request settles.
 */
export class ProviderResponseHandler
  extends AbortWatchingHandler
  implements Dispatcher.DispatchHandler
{
  private response: ProviderResponse | undefined;
  private settled = false;

  constructor(
    signal: AbortWatch,
    private readonly resolve: (response: ProviderResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {
    super(signal);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: ResponseHeaders,
  ): void {
    // 1xx informational answers come before the real one.
    if (statusCode < 200 || this.settled) return;
    this.settled = true;
    this.response = new ProviderResponse(statusCode, headers, controller);
    this.resolve(this.response);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.response?.push(chunk) === false) controller.pause();
  }

  onResponseEnd(): void {
    this.stopWatching();
    if (this.response === undefined) return;
    this.response.complete = true;
    this.response.push(null);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.stopWatching();
    if (this.response !== undefined) this.response.destroy(error);
    else this.fail(error);
  }

  protected abort(): void {
    const error = abortError(this.signal);
    if (this.response !== undefined) {
      this.response.destroy(error);
      return;
    }
    this.fail(error);
    this.controller?.abort(error);
  }

  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

/** The error an aborted request fails with, as node:http's own `signal` option builds it. */
export function abortError(signal: AbortWatch): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), {
    name: 'AbortError',
    code: 'ABORT_ERR',
  });
}
