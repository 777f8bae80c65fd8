import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dialect, SimulatedError } from '../model-call/dialect';
import type { RouteHandler } from '../server/route-handler';
import { sendJson } from '../server/send-json';
import type { SimulatorState } from '../server/simulator-state';

/** What a provider route answers: a JSON body, raw content, or an error in its dialect. */
export type ProviderAnswer =
  | { status: number; json: unknown }
  | { status: number; raw: Buffer; contentType: string }
  | { error: SimulatedError };

/** What a provider route's body sees of its call. */
export interface ProviderCall {
  request: IncomingMessage;
  state: SimulatorState;
  path: string;
}

/**
 * A non-model provider route (files, batches): request id header, credentials and error shape
 * of `dialect`; a thrown error answers 500 in that shape rather than leaving the call open.
 */
export function providerRoute(
  dialect: Dialect,
  serve: (call: ProviderCall) => ProviderAnswer | Promise<ProviderAnswer>,
): RouteHandler {
  return async (request, response, state, path) => {
    const requestId = dialect.createRequestId();
    if (dialect.requestIdHeader !== null) response.setHeader(dialect.requestIdHeader, requestId);
    const answer: ProviderAnswer = dialect.isAuthorized(request.headers)
      ? await Promise.resolve()
          .then(() => serve({ request, state, path }))
          .catch((error: unknown) => ({
            error: {
              status: 500,
              message: `Simulator failure: ${error instanceof Error ? error.message : String(error)}`,
            },
          }))
      : { error: { status: 401, message: dialect.unauthorizedMessage, code: 'invalid_api_key' } };
    send(response, answer, dialect, requestId);
  };
}

function send(
  response: ServerResponse,
  answer: ProviderAnswer,
  dialect: Dialect,
  requestId: string,
): void {
  if ('error' in answer) {
    sendJson(response, answer.error.status, dialect.formatError(answer.error, requestId));
  } else if ('json' in answer) {
    sendJson(response, answer.status, JSON.stringify(answer.json));
  } else if (!response.headersSent && !response.destroyed) {
    response.writeHead(answer.status, {
      'content-type': answer.contentType,
      'content-length': String(answer.raw.length),
    });
    response.end(answer.raw);
  }
}

/** The path segment after `prefix` (e.g. the id in `/v1/batches/<id>/cancel`). */
export function pathSegment(path: string, prefix: string): string {
  const rest = path.slice(prefix.length);
  const slash = rest.indexOf('/');
  return decodeURIComponent(slash < 0 ? rest : rest.slice(0, slash));
}

/** A 404 for an unknown object id, in the words of the dialect's provider. */
export function notFound(kind: string, id: string): ProviderAnswer {
  return { error: { status: 404, message: `No ${kind} found with id '${id}'.`, code: null } };
}
