import { ClientError, jsonDepthExceeds, maxJsonDepth } from '@llmq/core';
import express, { type NextFunction, type Request, type RequestHandler } from 'express';

export interface JsonBodyOptions {
  /** Largest body read, bytes or a size such as `1mb` (env `BODY_LIMIT`). */
  limit: number | string;
}

const plainJsonTypes = new Set(['application/json', 'application/json; charset=utf-8']);

/**
 * Whether a Content-Type header is one of the two spellings of JSON nearly every client sends
 * (`application/json`, optionally `; charset=utf-8`, any case): read without parsing it.
 */
export function isPlainJsonType(type: string | undefined): boolean {
  return type !== undefined && plainJsonTypes.has(type.toLowerCase());
}

/**
 * Parses JSON bodies into `request.body`, as `express.json({ limit, strict: false })` does, with
 * a lean path for what nearly every client sends: `Content-Type: application/json` (optionally
 * `; charset=utf-8`), no `Content-Encoding`. That path reads the chunks, joins them once and
 * calls `JSON.parse`, instead of body-parser's media-type parsing, charset decoder and stream
 * wrappers (about a tenth of a submit's CPU in the API's profile); a body the HTTP parser holds
 * whole by the end of the read that brought its head (nearly every small request) is taken from
 * the stream's buffer without listeners. Everything else (other JSON
 * types and charsets, compressed bodies, a body already read, no body) goes to body-parser
 * itself, so both answer alike: an empty body is `{}`, any JSON value is accepted, and errors
 * carry body-parser's `type` and `status` (`entity.too.large` 413 before or while reading,
 * `entity.parse.failed` 400, `request.size.invalid` 400, `request.aborted` 400), which
 * `toClientError` turns into llmq's JSON errors. As body-parser does, a refused body is read to
 * its end before the error is passed on, so the answer is not sent into an unread request.
 * Either way, a body nested more than `maxJsonDepth` levels deep is refused (400 `invalid_json`).
 */
export function jsonBody({ limit }: JsonBodyOptions): RequestHandler {
  const maxBytes = byteSize(limit);
  const bodyParser = express.json({ limit: maxBytes, strict: false });
  return (request, response, next) => {
    const type = request.headers['content-type'];
    const encoding = request.headers['content-encoding'];
    if (
      !isPlainJsonType(type) ||
      (encoding !== undefined && encoding.toLowerCase() !== 'identity') ||
      !request.readable
    ) {
      bodyParser(request, response, (error?: unknown) =>
        error ? next(error) : nextIfShallow(request, next),
      );
      return;
    }
    const lengthHeader = request.headers['content-length'];
    const declared = lengthHeader === undefined ? undefined : Number(lengthHeader);
    if (declared === undefined && request.headers['transfer-encoding'] === undefined) {
      bodyParser(request, response, next); // no body: body-parser leaves `request.body` unset
      return;
    }
    if (declared !== undefined && declared > maxBytes) {
      drainThen(request, () =>
        next(bodyError(413, 'request entity too large', 'entity.too.large')),
      );
      return;
    }
    const done = (error: Error | undefined, body?: unknown) => {
      if (error) next(error);
      else {
        request.body = body;
        nextIfShallow(request, next);
      }
    };
    if (request.complete && request.readableFlowing !== true) {
      takeBufferedJson(request, maxBytes, declared, done);
      return;
    }
    // The HTTP parser hands a request's head and its body to JavaScript in separate callbacks,
    // and authentication resumes (a microtask) between them: a body that came in the same read
    // as the head is in the stream's buffer once this turn's I/O callbacks have run. Looked at
    // again then (one immediate), it is read without the four listeners, flowing mode and the
    // `end` event's tick; a body still on its way is read with them, as before.
    setImmediate(() => {
      if (request.complete && request.readableFlowing !== true)
        takeBufferedJson(request, maxBytes, declared, done);
      else if (request.destroyed) done(bodyError(400, 'request aborted', 'request.aborted'));
      else readJson(request, maxBytes, declared, done);
    });
  };
}

/**
 * Goes on with a body nested at most {@link maxJsonDepth} levels deep, else with a 400
 * `invalid_json`: code that walks a value recursively would run out of stack on it.
 */
function nextIfShallow(request: Request, next: NextFunction): void {
  if (!jsonDepthExceeds(request.body)) next();
  else
    next(
      new ClientError(
        'invalid_json',
        `the request body nests arrays and objects more than ${maxJsonDepth} levels deep`,
      ),
    );
}

/** The error shape body-parser gives (http-errors): `status`, `statusCode`, `type`, `expose`. */
function bodyError(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, type, expose: true });
}

/**
 * Reads a body the HTTP parser has already taken in whole, with no listeners. When a request's
 * head and body arrive in one read (nearly every small submit), the parser takes both before
 * the middleware that awaited anything (authentication does) gets here: the body is in the
 * stream's buffer and `request.complete` is true. Reading the buffer empty ends the stream
 * (`end` follows), so the request counts as read, as with the listeners' path.
 */
function takeBufferedJson(
  request: Request,
  maxBytes: number,
  declared: number | undefined,
  done: (error: Error | undefined, body?: unknown) => void,
): void {
  const chunks: Buffer[] = [];
  let received = 0;
  for (let chunk: Buffer | null = request.read(); chunk !== null; chunk = request.read()) {
    received += chunk.length;
    chunks.push(chunk);
  }
  done(...settleJson(chunks, received, maxBytes, declared));
}

/** The body's outcome once every chunk is in: an error as body-parser gives it, or the JSON. */
function settleJson(
  chunks: Buffer[],
  received: number,
  maxBytes: number,
  declared: number | undefined,
): [Error | undefined, unknown?] {
  if (received > maxBytes) return [bodyError(413, 'request entity too large', 'entity.too.large')];
  if (declared !== undefined && received !== declared)
    return [bodyError(400, 'request size did not match content length', 'request.size.invalid')];
  try {
    return [undefined, parseJson(chunks, received)];
  } catch (error) {
    const parseError = error instanceof Error ? error : new Error(String(error));
    return [
      Object.assign(parseError, {
        status: 400,
        statusCode: 400,
        type: 'entity.parse.failed',
        expose: true,
      }),
    ];
  }
}

function readJson(
  request: Request,
  maxBytes: number,
  declared: number | undefined,
  done: (error: Error | undefined, body?: unknown) => void,
): void {
  const chunks: Buffer[] = [];
  let received = 0;
  let refused: Error | undefined;
  const onData = (chunk: Buffer) => {
    if (refused) return; // read off the rest of a refused body, keeping none of it
    received += chunk.length;
    if (received > maxBytes) {
      refused = bodyError(413, 'request entity too large', 'entity.too.large');
      chunks.length = 0;
    } else chunks.push(chunk);
  };
  const finish = (error: Error | undefined, body?: unknown) => {
    request.off('data', onData);
    request.off('end', onEnd);
    request.off('aborted', onAborted);
    request.off('error', onError);
    done(error, body);
  };
  const onEnd = () => {
    if (refused) return finish(refused);
    finish(...settleJson(chunks, received, maxBytes, declared));
  };
  const onAborted = () => finish(bodyError(400, 'request aborted', 'request.aborted'));
  const onError = (error: Error) =>
    finish(Object.assign(error, { status: 400, statusCode: 400, expose: true }));
  request.on('data', onData);
  request.on('end', onEnd);
  request.on('aborted', onAborted);
  request.on('error', onError);
}

/** The body as JSON (`{}` when empty, as body-parser answers); throws a `SyntaxError`. */
function parseJson(chunks: Buffer[], length: number): unknown {
  const buffer = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
  let text = buffer.toString('utf8');
  // body-parser's decoder drops a byte order mark; JSON.parse would refuse it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  return JSON.parse(text);
}

/** Reads a request to its end without keeping it, then calls `then`. */
function drainThen(request: Request, then: () => void): void {
  if (request.readableEnded) {
    then();
    return;
  }
  request.once('end', then);
  request.once('aborted', then);
  request.resume();
}

const sizeUnits: Record<string, number> = {
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
  pb: 1024 ** 5,
};

/**
 * A body size in bytes, read exactly as body-parser's `bytes` package reads it: a number as is;
 * a decimal with a unit (`kb`, `mb`, `gb`, `tb`, `pb`, powers of 1024, any case) floored;
 * anything else by `parseInt` (`"2048"`, `"100b"`).
 */
export function byteSize(value: number | string): number {
  if (typeof value === 'number') return value;
  const match = /^([-+]?\d+(?:\.\d+)?) *(kb|mb|gb|tb|pb)$/i.exec(value);
  const size = match
    ? Math.floor(
        Number.parseFloat(match[1] as string) *
          (sizeUnits[(match[2] as string).toLowerCase()] ?? 1),
      )
    : Number.parseInt(value, 10);
  if (Number.isNaN(size)) throw new TypeError(`option limit "${value}" is invalid`);
  return size;
}
