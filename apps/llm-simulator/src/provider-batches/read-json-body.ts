import type { IncomingMessage } from 'node:http';
import { parseJson, readRequestBody } from '../server/read-request-body';
import type { ProviderAnswer } from './provider-route';

/** The request's JSON body, or the 413/400 answer a provider gives for a bad one. */
export async function readJsonBody(
  request: IncomingMessage,
): Promise<{ ok: true; value: unknown } | { ok: false; answer: ProviderAnswer }> {
  const body = await readRequestBody(request);
  if (!body.ok) {
    return {
      ok: false,
      answer: {
        error: { status: 413, message: 'Request body too large.', code: 'request_too_large' },
      },
    };
  }
  const json = parseJson(body.text);
  if (!json.ok) {
    return {
      ok: false,
      answer: {
        error: {
          status: 400,
          message: `We could not parse the JSON body of your request: ${json.message}`,
        },
      },
    };
  }
  return json;
}
