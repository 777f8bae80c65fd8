import { failureCodeForProviderError, isProviderError, type JobFailure } from '@llmq/core';

/** What a thrown error means for the job: its failure record and whether another attempt may help. */
export function describeFailure(error: unknown): {
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
  // Anything else is our own bug or an infrastructure hiccup (Redis): worth another attempt.
  return {
    failure: {
      code: 'internal_error',
      message: error instanceof Error ? error.message : String(error),
    },
    retryable: true,
  };
}
