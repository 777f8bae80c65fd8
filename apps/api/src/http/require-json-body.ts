import { ClientError } from '@llmq/core';
import type { RequestHandler } from 'express';

/** Refuses a body that is not a JSON object (wrong content type, empty, array, scalar). */
export const requireJsonBody: RequestHandler = (request, _response, next) => {
  if (!request.is('application/json')) {
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
