import { z } from 'zod';
import { handleModelCall } from '../model-call/handle-model-call';
import type { ModelRoute } from '../model-call/model-route';
import type { RouteHandler } from '../server/route-handler';
import { sendJson } from '../server/send-json';
import { batchEmbedContentsRoute, embedContentRoute } from './embed-content-routes';
import { geminiDialect } from './gemini-dialect';
import { generateContentRoute } from './generate-content-route';

/** `/v1beta/models/{model}:{method}`, the Gemini API's model methods. */
const GEMINI_PATH =
  /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/;

const generateRoute = generateContentRoute(false);
const streamRoute = generateContentRoute(true);

/** The route with the model taken from the path, where the Gemini API names it. */
function forModel<Request extends { model: string }>(
  route: ModelRoute<Request>,
  model: string,
): ModelRoute<Request> {
  return {
    ...route,
    requestSchema: z.preprocess(
      (body) =>
        typeof body === 'object' && body !== null && !Array.isArray(body)
          ? { ...body, model }
          : body,
      route.requestSchema,
    ),
  };
}

/** The handler of a Gemini API path, or undefined when `path` is not one. */
export function matchGeminiRoute(path: string): RouteHandler | undefined {
  const match = GEMINI_PATH.exec(path);
  if (match === null) return undefined;
  const model = decodeURIComponent(match[1]!);
  return async (request, response, state) => {
    switch (match[2]) {
      case 'generateContent':
        return handleModelCall(forModel(generateRoute, model), request, response, state);
      case 'streamGenerateContent': {
        const query = new URL(request.url ?? '/', 'http://simulator').searchParams;
        if (query.get('alt') !== 'sse') {
          const body = geminiDialect.formatError(
            {
              status: 400,
              message: 'The simulator streams Server-Sent Events only: add ?alt=sse.',
              param: 'alt',
            },
            '',
          );
          sendJson(response, 400, body);
          return;
        }
        return handleModelCall(forModel(streamRoute, model), request, response, state);
      }
      case 'embedContent':
        return handleModelCall(forModel(embedContentRoute, model), request, response, state);
      default:
        return handleModelCall(forModel(batchEmbedContentsRoute, model), request, response, state);
    }
  };
}
