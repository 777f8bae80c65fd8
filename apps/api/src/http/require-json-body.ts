import type { RequestHandler } from 'express';
import { ApiError } from './api-error';

/** Refuses a body that is not a JSON object (wrong content type, empty, array, scalar). */
export const requireJsonBody: RequestHandler = (request, _response, next) => {
  if (!request.is('application/json')) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      'send the body as JSON with "Content-Type: application/json"',
    );
  }
  const body: unknown = request.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'invalid_request', 'the request body must be a JSON object');
  }
  next();
};
