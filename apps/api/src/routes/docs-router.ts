import { type Request, type Response, Router } from 'express';
import type { RequireScope } from '../http/require-scope';
import type { OpenApiDocument } from '../openapi/openapi-document';

/**
 * `GET /openapi.json`: the API's OpenAPI 3.1 document, built from the running app's route
 * table. Any tenant key (`jobs:read`). The browser page is `apiReferenceRouter` (`GET /docs`).
 */
export function docsRouter(
  requireScope: RequireScope,
  documentOf: (app: Request['app']) => OpenApiDocument,
): Router {
  const router = Router();
  router.get('/openapi.json', requireScope('jobs:read'), (request: Request, response: Response) => {
    response.json(documentOf(request.app));
  });
  return router;
}
