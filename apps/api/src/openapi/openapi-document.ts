import { clientErrorCodeSchema } from '@llmq/core';
import type { Express } from 'express';
import { z } from 'zod';
import { type OperationNotes, operationNotes } from './operation-catalog';
import { compareOperationPaths, documentTags, operationTagOf } from './operation-tags';
import { listRouteTable, type RouteEntry } from './route-table';

/** An OpenAPI 3.1 document, as plain JSON. */
export type OpenApiDocument = Record<string, unknown> & {
  paths: Record<string, Record<string, Record<string, unknown>>>;
};

const httpMethods = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** `/v1/jobs/:id` → `/v1/jobs/{id}`, and the names of its path parameters. */
function openApiPath(path: string): { path: string; parameters: string[] } {
  const parameters: string[] = [];
  const converted = path.replace(/:([A-Za-z_]+)/g, (_match, name: string) => {
    parameters.push(name);
    return `{${name}}`;
  });
  return { path: converted, parameters };
}

/** The input JSON Schema of a zod schema (what a client sends, defaults optional). */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

/** The header every route that creates work honours (see docs/durability.md). */
const idempotencyKeyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry return what the first request created (per tenant, 24 h); the same key with another body is refused 422.',
  schema: { type: 'string', minLength: 1, maxLength: 255 },
};

function queryParameters(schema: z.ZodType): Array<Record<string, unknown>> {
  const json = jsonSchemaOf(schema) as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

function operationOf(route: RouteEntry, notes: OperationNotes | undefined, parameters: string[]) {
  const status = String(notes?.status ?? 200);
  const successContent: Record<string, unknown> = { 'application/json': {} };
  if (notes?.events) successContent['text/event-stream'] = {};
  return {
    summary: notes?.summary ?? `${route.method} ${route.path}`,
    tags: [operationTagOf(route.path)],
    ...(route.scope ? { security: [{ apiKey: [] }], 'x-llmq-scope': route.scope } : {}),
    parameters: [
      ...parameters.map((name) => ({
        name,
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...(notes?.query ? queryParameters(notes.query) : []),
      ...(notes?.idempotent ? [idempotencyKeyParameter] : []),
    ],
    ...(notes?.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchemaOf(notes.body) } },
          },
        }
      : {}),
    ...(notes?.multipart
      ? {
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['purpose', 'file'],
                  properties: {
                    purpose: { type: 'string', enum: ['batch'] },
                    file: { type: 'string', format: 'binary' },
                  },
                },
              },
            },
          },
        }
      : {}),
    responses: {
      [status]: { description: 'Success', content: successContent },
      '4XX': { $ref: '#/components/responses/Error' },
    },
  };
}

/**
 * The OpenAPI 3.1 document of the API, built from the app's own route table (so every route
 * is in it, with the scope its guard really asks for) and the zod schemas the routes validate
 * with (so the documented bodies are the enforced ones).
 */
export function buildOpenApiDocument(routes: readonly RouteEntry[], version: string) {
  const document: OpenApiDocument = {
    openapi: '3.1.0',
    info: {
      title: 'llmq',
      version,
      description:
        'Queue-backed LLM jobs: submit, poll, stream, webhooks, OpenAI- and Anthropic-compatible endpoints, OpenAI Batch API-compatible batches. Every route needs `Authorization: Bearer <API key>` holding the scope in `x-llmq-scope`.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      responses: {
        Error: {
          description: 'An error: a 4xx status with a JSON body naming a code from a closed set',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['error'],
                properties: {
                  error: {
                    type: 'object',
                    required: ['code', 'message'],
                    properties: {
                      code: { type: 'string', enum: clientErrorCodeSchema.options },
                      message: { type: 'string' },
                      details: {},
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
    paths: {},
  };
  const used = new Set<string>();
  const ordered = [...routes].sort((a, b) => compareOperationPaths(a.path, b.path));
  for (const route of ordered) {
    // Documented: the API's own routes behind a key. Health, metrics and the Bull Board
    // console are operational endpoints with their own access rules (see docs/security.md).
    if (!route.authenticated || route.guardedMount || route.metricsToken) continue;
    if (!httpMethods.has(route.method)) continue;
    const { path, parameters } = openApiPath(route.path);
    const notes = operationNotes[`${route.method} ${route.path}`];
    used.add(operationTagOf(route.path));
    document.paths[path] ??= {};
    document.paths[path][route.method.toLowerCase()] = operationOf(route, notes, parameters);
  }
  return { ...document, tags: documentTags(used) };
}

/**
 * The app's document, built on first use (when every router is mounted, so the route table is
 * complete) and kept: `GET /openapi.json` and `GET /docs` share it.
 */
export function openApiDocumentOf(
  version: string,
): (app: Pick<Express, 'router'>) => OpenApiDocument {
  let document: OpenApiDocument | undefined;
  return (app) => {
    document ??= buildOpenApiDocument(listRouteTable(app), version);
    return document;
  };
}
