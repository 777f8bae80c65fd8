import type { RequestHandler } from 'express';
import { ApiError } from './api-error';
import type { ApiKeyRegistry } from './api-keys';

/** Reads `Authorization: Bearer <key>` (or `x-api-key`) and sets `response.locals.tenant`. */
export function authenticate(registry: ApiKeyRegistry): RequestHandler {
  return (request, response, next) => {
    const header = request.headers.authorization;
    const key = header?.startsWith('Bearer ')
      ? header.slice(7).trim()
      : request.headers['x-api-key'];
    if (typeof key !== 'string' || key === '') {
      throw new ApiError(
        401,
        'missing_api_key',
        'send an API key as "Authorization: Bearer <key>"',
        undefined,
        {
          'WWW-Authenticate': 'Bearer',
        },
      );
    }
    const principal = registry.authenticate(key);
    if (!principal) {
      throw new ApiError(401, 'invalid_api_key', 'the API key is not valid', undefined, {
        'WWW-Authenticate': 'Bearer',
      });
    }
    response.locals.tenant = principal.tenant;
    next();
  };
}
