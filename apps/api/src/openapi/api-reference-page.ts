import type { OpenApiDocument } from './openapi-document';

/**
 * The browser API reference at `GET /docs`: Redoc (the `redoc` package, pinned in
 * apps/api/package.json) renders the OpenAPI document. Everything the page loads comes from
 * this server: Redoc's standalone bundle from node_modules and a small start script, so it
 * works on machines without internet access and under a tight Content-Security-Policy.
 */

/** Where the page's two scripts are served (public: they hold no data, only code). */
export const apiReferenceAssets = {
  bundle: '/docs/assets/redoc.standalone.js',
  start: '/docs/assets/api-reference.js',
} as const;

/** Redoc's self-contained browser bundle, served as a file from node_modules. */
export const redocBundleFile = require.resolve('redoc/bundles/redoc.standalone.js');

/**
 * The Content-Security-Policy of the page, and nothing more than it needs: scripts from this
 * origin only (no inline script: the document travels as a JSON data block), inline styles
 * (Redoc styles itself with styled-components), `data:` images (the page's empty icon) and a
 * `blob:` worker (Redoc's search index). No fetches, fonts, frames or forms; Redoc's badge
 * logo, hotlinked from its CDN, is refused and hidden.
 */
export const apiReferenceCsp = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'unsafe-inline'"],
  imgSrc: ['data:'],
  workerSrc: ['blob:'],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
  upgradeInsecureRequests: null,
};

/** Starts Redoc on the document embedded in the page (served as `apiReferenceAssets.start`). */
export const apiReferenceStartScript = `'use strict';
(function () {
  var document_ = JSON.parse(document.getElementById('openapi-document').textContent);
  Redoc.init(
    document_,
    { hideDownloadButton: false, expandResponses: '200,202', pathInMiddlePanel: true },
    document.getElementById('api-reference'),
  );
})();
`;

/**
 * The page: the OpenAPI document in a JSON data block (`<` escaped, so no text in it can close
 * the element), then Redoc's bundle and the start script, both from this server.
 */
export function renderApiReferencePage(document: OpenApiDocument): string {
  const json = JSON.stringify(document).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>llmq API reference</title>
<link rel="icon" href="data:,">
<style>body { margin: 0; }</style>
</head><body>
<noscript><p>The API reference needs JavaScript. The machine-readable document is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1, needs an API key).</p></noscript>
<div id="api-reference"></div>
<script type="application/json" id="openapi-document">${json}</script>
<script src="${apiReferenceAssets.bundle}"></script>
<script src="${apiReferenceAssets.start}"></script>
</body></html>`;
}
