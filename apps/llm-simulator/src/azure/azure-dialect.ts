import type { IncomingHttpHeaders } from 'node:http';
import type { Dialect, SimulatedError } from '../model-call/dialect';
import { openAiDialect } from '../openai/openai-dialect';

/**
 * Azure OpenAI's own error bodies, for the failures its gateway answers before the model
 * does: `{error: {code, message}}` with the status as the code. Other errors (invalid
 * requests the model service refuses) pass through in OpenAI's shape, as on Azure.
 */
function azureError(error: SimulatedError): object | undefined {
  switch (error.status) {
    case 401:
      return {
        code: '401',
        message:
          'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
      };
    case 404:
      return error.code === 'model_not_found'
        ? {
            code: 'DeploymentNotFound',
            message:
              'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
          }
        : undefined;
    case 429:
      return { code: '429', message: error.message };
    default:
      return undefined;
  }
}

/**
 * Azure OpenAI's wire conventions: the key in an `api-key` header (or an Entra ID bearer
 * token), `x-request-id` (Azure also sends `apim-request-id`), OpenAI's error shape except for
 * the gateway's own 401, 404 and 429 bodies.
 */
export const azureDialect: Dialect = {
  name: 'azure',
  requestIdHeader: 'x-request-id',
  unauthorizedMessage: 'Access denied due to missing subscription key.',
  createRequestId: () => crypto.randomUUID(),
  isAuthorized(headers: IncomingHttpHeaders): boolean {
    const apiKey = headers['api-key'];
    if (typeof apiKey === 'string' && apiKey.trim().length > 0) return true;
    const authorization = headers.authorization;
    return typeof authorization === 'string' && /^Bearer\s+\S/i.test(authorization);
  },
  formatError(error: SimulatedError, requestId: string): string {
    const own = azureError(error);
    return own === undefined
      ? openAiDialect.formatError(error, requestId)
      : JSON.stringify({ error: own });
  },
};
