import type { Dialect, SimulatedError } from '../model-call/dialect';
import { openAiDialect } from './openai-dialect';

/**
 * Mistral's error `type` and `code` for a status: its 429 is `rate_limited` with code `1300`;
 * other refusals are `invalid_request_error`, server errors `internal_server_error`.
 */
function typeAndCode(error: SimulatedError): { type: string; code: string | null } {
  if (error.status === 429) return { type: 'rate_limited', code: '1300' };
  if (error.status >= 500) return { type: 'internal_server_error', code: error.code ?? null };
  return { type: 'invalid_request_error', code: error.code ?? null };
}

/**
 * OpenAI's wire conventions with Mistral's error bodies, for a model whose `errorShape` is
 * `mistral`: `{object: "error", message, type, param, code, raw_status_code}` at the top level,
 * as Mistral's API answers (`{"object":"error","message":"Rate limit exceeded","type":
 * "rate_limited","param":null,"code":"1300","raw_status_code":429}`).
 */
export const mistralErrorDialect: Dialect = {
  ...openAiDialect,
  formatError(error: SimulatedError, requestId: string): string {
    if (error.body !== undefined) return openAiDialect.formatError(error, requestId);
    return JSON.stringify({
      object: 'error',
      message: error.message,
      ...typeAndCode(error),
      param: error.param ?? null,
      raw_status_code: error.status,
    });
  },
};
