/**
 * An error from the llmq API (`code`, `status` and `details` as the server sent them) or from
 * reaching it: `missing_api_key`, `server_unreachable`, `invalid_response` are client-side codes.
 */
export class LlmqError extends Error {
  override readonly name = 'LlmqError';

  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export function isLlmqError(error: unknown): error is LlmqError {
  return error instanceof Error && error.name === 'LlmqError';
}
