import { ClientError } from '@llmq/core';
import type { Request, RequestHandler } from 'express';
import { isPlainJsonType } from './json-body';

/** `request.is('application/json')`, without type-is for the two spellings nearly every client sends. */
function isJson(request: Request): boolean {
  const type = request.headers['content-type'];
  // type-is answers null for a request without a body (its `hasBody`), whatever its type.
  const hasBody =
    request.headers['transfer-encoding'] !== undefined ||
    !Number.isNaN(Number(request.headers['content-length']));
  if (hasBody && isPlainJsonType(type)) return true;
  return Boolean(request.is('application/json'));
}

/** Refuses a body that is not a JSON object (wrong content type, empty, array, scalar). */
export const requireJsonBody: RequestHandler = (request, _response, next) => {
  if (!isJson(request)) {
    throw new ClientError(
      'unsupported_media_type',
      'send the body as JSON with "Content-Type: application/json"',
    );
  }
  const body: unknown = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ClientError('invalid_request', 'the request body must be a JSON object');
  }
  next();
};
