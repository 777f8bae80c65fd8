import {
  type AttemptRecord,
  failureCodeForProviderError,
  isProviderError,
  type JobFailure,
} from '@llmq/core';

/**
 * What a failed provider stage means for the job: its failure record (a code from the closed
 * set and a human sentence) and whether another attempt may help. `error` is undefined when
 * no model could be called at all (every circuit open, or no configured provider).
 */
export function describeFailure(
  error: unknown,
  attempts: readonly AttemptRecord[] = [],
): {
  failure: JobFailure;
  retryable: boolean;
  retryAfterMs?: number;
} {
  if (isProviderError(error)) {
    return {
      failure: {
        code: failureCodeForProviderError(error.code),
        message: error.message,
        provider: error.provider,
        ...(error.statusCode !== undefined ? { status_code: error.statusCode } : {}),
        ...(error.requestId !== undefined ? { request_id: error.requestId } : {}),
      },
      retryable: error.isRetryable,
      retryAfterMs: error.retryAfterMs,
    };
  }
  if (error === undefined && attempts.length > 0) {
    const circuitOpen = attempts.some((attempt) => attempt.error_code === 'circuit_open');
    return {
      failure: circuitOpen
        ? {
            code: 'circuit_open',
            message: `every model of the chain is unavailable (circuit open): ${attempts.map((attempt) => attempt.model).join(', ')}`,
          }
        : {
            code: 'model_unavailable',
            message: 'no model of the chain has a configured provider',
          },
      retryable: circuitOpen,
    };
  }
  // Anything else is our own bug or an infrastructure hiccup (Redis): worth another attempt.
  return {
    failure: {
      code: 'internal_error',
      message: error instanceof Error ? error.message : String(error),
    },
    retryable: true,
  };
}
