import type { Dispatcher } from 'undici';
import {
  type AbortWatch,
  AbortWatchingHandler,
  abortError,
  type ResponseHeaders,
} from './provider-response';

/**
 * A provider's answer read to its end: status, headers and the body decoded once. What a
 * non-streamed call needs, without a `Readable` per call (see {@link WholeAnswerHandler}).
 */
export interface WholeAnswer {
  readonly statusCode: number;
  readonly headers: ResponseHeaders;
  /** The whole body as UTF-8 text ('' when its read failed: see `bodyError`). */
  readonly text: string;
  /**
   * Why the body of an error answer (status >= 400) could not be read to its end (cut short,
   * aborted): the status still says what went wrong, so such an answer resolves, as the SDKs
   * read an error answer whose body fails. A 2xx whose body fails rejects instead.
   */
  readonly bodyError?: Error;
}

/**
 * The undici dispatch handler of one non-streamed POST: keeps the body's chunks as they come
 * and resolves with a {@link WholeAnswer} at its end, decoded once (a character split across
 * chunks decodes whole). No `Readable`, no `data`/`end`/`close` listeners, no second promise
 * for the read: about a sixth of the transport's JavaScript per call (docs/performance.md,
 * session 18). No backpressure either: the body is read whole anyway, as `readText` did.
 *
 * It watches the call's signal itself, as `ProviderResponseHandler` does: an abort before the
 * end fails the call with node:http's `AbortError` and aborts the request (a half-read answer's
 * socket is closed, never reused); the listener goes when the request settles.
 */
export class WholeAnswerHandler extends AbortWatchingHandler implements Dispatcher.DispatchHandler {
  private statusCode = 0;
  private headers: ResponseHeaders | undefined;
  private chunks: Buffer[] = [];
  private settled = false;

  constructor(
    signal: AbortWatch,
    private readonly resolve: (answer: WholeAnswer) => void,
    private readonly reject: (error: Error) => void,
  ) {
    super(signal);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: ResponseHeaders,
  ): void {
    // 1xx informational answers come before the real one.
    if (statusCode < 200 || this.headers !== undefined) return;
    this.statusCode = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.stopWatching();
    if (this.settled || this.headers === undefined) return;
    this.settled = true;
    const { chunks } = this;
    this.chunks = [];
    this.resolve({
      statusCode: this.statusCode,
      headers: this.headers,
      text:
        chunks.length === 1
          ? (chunks[0] as Buffer).toString('utf8')
          : Buffer.concat(chunks).toString('utf8'),
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.stopWatching();
    this.fail(error);
  }

  protected abort(): void {
    const error = abortError(this.signal);
    this.fail(error);
    this.controller?.abort(error);
  }

  /** An error answer whose body failed still resolves (see `WholeAnswer.bodyError`). */
  private fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.chunks = [];
    if (this.headers !== undefined && this.statusCode >= 400) {
      this.resolve({
        statusCode: this.statusCode,
        headers: this.headers,
        text: '',
        bodyError: error,
      });
    } else {
      this.reject(error);
    }
  }
}
