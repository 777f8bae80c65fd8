import type { IncomingMessage, ServerResponse } from 'node:http';
import { anthropicDialect } from '../anthropic/anthropic-dialect';
import { type Dialect, setRequestIdHeader } from '../model-call/dialect';
import { openAiDialect } from '../openai/openai-dialect';
import { isSimulatedModelName } from '../profiles/model-profile';
import { sendJson } from '../server/send-json';
import type { SimulatorState } from '../server/simulator-state';

/** When the simulator's models were "created", for the `created` fields. */
const CREATED_AT = new Date('2025-01-01T00:00:00Z');

/** Prefix of `GET /v1/models/{model}`. */
export const MODEL_PATH_PREFIX = '/v1/models/';

/**
 * `GET /v1/models` and `GET /v1/models/{model}`: in Anthropic's format when the request has
 * an `anthropic-version` header (as the Anthropic SDK sends), else OpenAI's.
 */
export function serveModels(
  request: IncomingMessage,
  response: ServerResponse,
  state: SimulatorState,
  path: string,
): void {
  const dialect =
    request.headers['anthropic-version'] === undefined ? openAiDialect : anthropicDialect;
  const requestId = dialect.createRequestId();
  setRequestIdHeader(response, dialect, requestId);
  if (!dialect.isAuthorized(request.headers)) {
    sendJson(
      response,
      401,
      dialect.formatError({ status: 401, message: dialect.unauthorizedMessage }, requestId),
    );
    return;
  }
  if (path.startsWith(MODEL_PATH_PREFIX)) {
    const model = decodeURIComponent(path.slice(MODEL_PATH_PREFIX.length));
    if (!isSimulatedModelName(model)) {
      const error = {
        status: 404,
        message: `The model \`${model}\` does not exist.`,
        code: 'model_not_found',
      };
      sendJson(response, 404, dialect.formatError(error, requestId));
      return;
    }
    sendJson(response, 200, JSON.stringify(describeModel(dialect, model)));
    return;
  }
  const models = state.profiles.names().map((model) => describeModel(dialect, model));
  const body =
    dialect.name === 'anthropic'
      ? {
          data: models,
          has_more: false,
          first_id: state.profiles.names()[0] ?? null,
          last_id: state.profiles.names().at(-1) ?? null,
        }
      : { object: 'list', data: models };
  sendJson(response, 200, JSON.stringify(body));
}

function describeModel(dialect: Dialect, model: string): object {
  return dialect.name === 'anthropic'
    ? { type: 'model', id: model, display_name: model, created_at: CREATED_AT.toISOString() }
    : {
        id: model,
        object: 'model',
        created: Math.floor(CREATED_AT.getTime() / 1000),
        owned_by: 'llmq-simulator',
      };
}
