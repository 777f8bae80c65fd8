import type { IncomingMessage, ServerResponse } from 'node:http';
import { anthropicDialect } from '../anthropic/anthropic-dialect';
import { messagesRoute } from '../anthropic/messages-route';
import { azureDialect } from '../azure/azure-dialect';
import { matchAzureRoute } from '../azure/azure-routes';
import { MODEL_PATH_PREFIX, serveModels } from '../catalog/models-route';
import { getConfig, getCounters, getHealth, postReset, putConfig } from '../control/control-routes';
import { geminiDialect } from '../gemini/gemini-dialect';
import { matchGeminiRoute } from '../gemini/gemini-routes';
import { type Dialect, setRequestIdHeader } from '../model-call/dialect';
import { handleModelCall } from '../model-call/handle-model-call';
import type { ModelRoute } from '../model-call/model-route';
import { chatCompletionsRoute } from '../openai/chat-completions-route';
import { completionsRoute } from '../openai/completions-route';
import { embeddingsRoute } from '../openai/embeddings-route';
import { openAiDialect } from '../openai/openai-dialect';
import {
  cancelMessageBatch,
  createMessageBatch,
  deleteMessageBatch,
  listMessageBatches,
  MESSAGE_BATCHES_PATH,
  messageBatchResults,
  retrieveMessageBatch,
} from '../provider-batches/anthropic-batches-routes';
import {
  BATCHES_PATH,
  cancelBatch,
  createBatch,
  listBatches,
  retrieveBatch,
} from '../provider-batches/openai-batches-routes';
import {
  deleteFile,
  FILES_PATH,
  fileContent,
  retrieveFile,
  uploadFile,
} from '../provider-batches/openai-files-routes';
import type { RouteHandler } from './route-handler';
import { sendJson } from './send-json';
import type { SimulatorState } from './simulator-state';

type MethodHandlers = Partial<Record<string, RouteHandler>>;

function modelCall<Request extends { model: string }>(route: ModelRoute<Request>): MethodHandlers {
  return { POST: (request, response, state) => handleModelCall(route, request, response, state) };
}

/** Every route the simulator serves, by path and method. */
const ROUTES = new Map<string, MethodHandlers>([
  [chatCompletionsRoute.path, modelCall(chatCompletionsRoute)],
  [completionsRoute.path, modelCall(completionsRoute)],
  [embeddingsRoute.path, modelCall(embeddingsRoute)],
  [messagesRoute.path, modelCall(messagesRoute)],
  [FILES_PATH, { POST: uploadFile }],
  [BATCHES_PATH, { POST: createBatch, GET: listBatches }],
  [MESSAGE_BATCHES_PATH, { POST: createMessageBatch, GET: listMessageBatches }],
  ['/v1/models', { GET: serveModels }],
  ['/_sim/health', { GET: getHealth }],
  ['/_sim/counters', { GET: getCounters }],
  ['/_sim/reset', { POST: postReset }],
  ['/_sim/config', { GET: getConfig, PUT: putConfig }],
]);

/** Routes with an id in the path: `<prefix><id>` and `<prefix><id>/<action>`. */
const ID_ROUTES: Array<{
  prefix: string;
  item: MethodHandlers;
  actions: Record<string, MethodHandlers>;
}> = [
  {
    prefix: `${FILES_PATH}/`,
    item: { GET: retrieveFile, DELETE: deleteFile },
    actions: { content: { GET: fileContent } },
  },
  {
    prefix: `${BATCHES_PATH}/`,
    item: { GET: retrieveBatch },
    actions: { cancel: { POST: cancelBatch } },
  },
  {
    prefix: `${MESSAGE_BATCHES_PATH}/`,
    item: { GET: retrieveMessageBatch, DELETE: deleteMessageBatch },
    actions: { cancel: { POST: cancelMessageBatch }, results: { GET: messageBatchResults } },
  },
];

function findIdRoute(path: string): MethodHandlers | undefined {
  for (const route of ID_ROUTES) {
    if (!path.startsWith(route.prefix)) continue;
    const rest = path.slice(route.prefix.length).split('/');
    if (rest.length === 1 && rest[0] !== '') return route.item;
    if (rest.length === 2 && rest[0] !== '') return route.actions[rest[1] as string];
    return undefined;
  }
  return undefined;
}

function findRoute(path: string): MethodHandlers | undefined {
  const fixed = ROUTES.get(path);
  if (fixed !== undefined) return fixed;
  const byId = findIdRoute(path);
  if (byId !== undefined) return byId;
  if (path.startsWith(MODEL_PATH_PREFIX)) return { GET: serveModels };
  const azure = matchAzureRoute(path);
  if (azure !== undefined) return { POST: azure };
  const gemini = matchGeminiRoute(path);
  return gemini === undefined ? undefined : { POST: gemini };
}

/** The dialect of the provider whose paths `path` looks like, for errors outside known routes. */
function dialectOf(path: string): Dialect {
  if (path.startsWith(messagesRoute.path)) return anthropicDialect;
  if (path.startsWith('/openai/')) return azureDialect;
  if (path.startsWith('/v1beta/')) return geminiDialect;
  return openAiDialect;
}

/** Dispatches a request by path and method; unknown paths get 404, other methods 405. */
export async function routeRequest(
  request: IncomingMessage,
  response: ServerResponse,
  state: SimulatorState,
): Promise<void> {
  const url = request.url ?? '/';
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const handlers = findRoute(path);
  if (handlers !== undefined) {
    const handler = handlers[request.method ?? 'GET'];
    if (handler !== undefined) return handler(request, response, state, path);
  }
  // Errors outside the known routes still come in the format the caller's SDK can read.
  const dialect = dialectOf(path);
  const requestId = dialect.createRequestId();
  setRequestIdHeader(response, dialect, requestId);
  if (handlers === undefined) {
    const error = {
      status: 404,
      message: `Unknown route: ${request.method} ${path}`,
      code: 'unknown_url',
    };
    sendJson(response, 404, dialect.formatError(error, requestId));
    return;
  }
  const error = {
    status: 405,
    message: `Method ${request.method} not allowed on ${path}`,
    code: 'method_not_allowed',
  };
  sendJson(response, 405, dialect.formatError(error, requestId), {
    allow: Object.keys(handlers).join(', '),
  });
}
