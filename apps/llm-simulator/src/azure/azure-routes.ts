import { z } from 'zod';
import { handleModelCall } from '../model-call/handle-model-call';
import type { ModelRoute } from '../model-call/model-route';
import { chatCompletionsRoute } from '../openai/chat-completions-route';
import { completionsRoute } from '../openai/completions-route';
import { embeddingsRoute } from '../openai/embeddings-route';
import type { RouteHandler } from '../server/route-handler';
import { sendJson } from '../server/send-json';
import { azureDialect } from './azure-dialect';

/** `/openai/deployments/{deployment}/{operation}`, the data-plane paths of an Azure OpenAI resource. */
const AZURE_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings)$/;

/**
 * Azure serves the OpenAI operations per deployment: the deployment in the path picks the
 * model, whatever the body's `model` says. The simulator's deployments are its models.
 */
function asDeploymentRoute<Request extends { model: string }>(
  route: ModelRoute<Request>,
  deployment: string,
): ModelRoute<Request> {
  return {
    path: `/openai/deployments/{deployment}${route.path.slice('/v1'.length)}`,
    dialect: azureDialect,
    requestSchema: z.preprocess(
      (body) =>
        typeof body === 'object' && body !== null && !Array.isArray(body)
          ? { ...body, model: deployment }
          : body,
      route.requestSchema,
    ),
    answer: route.answer,
  };
}

/** The handler of an Azure OpenAI path, or undefined when `path` is not one. */
export function matchAzureRoute(path: string): RouteHandler | undefined {
  const match = AZURE_PATH.exec(path);
  if (match === null) return undefined;
  const deployment = decodeURIComponent(match[1]!);
  return async (request, response, state) => {
    const query = new URL(request.url ?? '/', 'http://simulator').searchParams;
    if (!query.get('api-version')) {
      const requestId = azureDialect.createRequestId();
      response.setHeader('x-request-id', requestId);
      sendJson(
        response,
        404,
        JSON.stringify({
          error: {
            code: '404',
            message: 'Resource not found: the api-version query parameter is required.',
          },
        }),
      );
      return;
    }
    switch (match[2]) {
      case 'chat/completions':
        return handleModelCall(
          asDeploymentRoute(chatCompletionsRoute, deployment),
          request,
          response,
          state,
        );
      case 'completions':
        return handleModelCall(
          asDeploymentRoute(completionsRoute, deployment),
          request,
          response,
          state,
        );
      default:
        return handleModelCall(
          asDeploymentRoute(embeddingsRoute, deployment),
          request,
          response,
          state,
        );
    }
  };
}
