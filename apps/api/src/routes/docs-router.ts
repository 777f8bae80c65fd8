import { type Request, type Response, Router } from 'express';
import type { RequireScope } from '../http/require-scope';
import {
  buildOpenApiDocument,
  type OpenApiDocument,
  renderDocsPage,
} from '../openapi/openapi-document';
import { listRouteTable } from '../openapi/route-table';

/**
 * `GET /openapi.json` and `GET /docs`: the API's OpenAPI 3.1 document, built once from the
 * running app's route table, and a plain page listing it. Any tenant key (`jobs:read`).
 */
export function docsRouter(requireScope: RequireScope, version: string): Router {
  const router = Router();
  let document: OpenApiDocument | undefined;
  // Built on first use, when every router is mounted: `request.app` is the finished app.
  const documentOf = (request: Request) => {
    document ??= buildOpenApiDocument(listRouteTable(request.app), version);
    return document;
  };
  router.get('/openapi.json', requireScope('jobs:read'), (request: Request, response: Response) => {
    response.json(documentOf(request));
  });
  router.get('/docs', requireScope('jobs:read'), (request: Request, response: Response) => {
    response.type('html').send(renderDocsPage(documentOf(request)));
  });
  return router;
}
