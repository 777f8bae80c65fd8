import { z } from 'zod';

/** Closed set of reasons a files or batches request is refused. */
export const batchRequestErrorCodeSchema = z.enum([
  'file_not_found',
  'invalid_file',
  'file_too_large',
  'too_many_lines',
  'unsupported_endpoint',
  'invalid_completion_window',
  'batch_not_found',
  'batch_not_cancellable',
]);
export type BatchRequestErrorCode = z.infer<typeof batchRequestErrorCodeSchema>;

/** A files or batches request refused for a reason the client can fix. Identify by `name`. */
export class BatchRequestError extends Error {
  override readonly name = 'BatchRequestError';

  constructor(
    readonly code: BatchRequestErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isBatchRequestError(error: unknown): error is BatchRequestError {
  return error instanceof Error && error.name === 'BatchRequestError';
}
