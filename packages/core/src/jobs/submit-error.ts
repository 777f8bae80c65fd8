import { z } from 'zod';

/** Closed set of reasons a submit is refused before anything is enqueued. */
export const submitErrorCodeSchema = z.enum([
  'unknown_model',
  'idempotency_key_reused',
  'webhook_url_not_allowed',
  'model_unavailable',
  'context_window_exceeded',
  'cost_limit_exceeded',
  /** The model named cannot take a part of the request (tools, images, …), or none can. */
  'model_capability_missing',
  'invalid_hedge',
  'budget_exceeded',
]);
export type SubmitErrorCode = z.infer<typeof submitErrorCodeSchema>;

/** A submit refused for a reason the client can fix. Identify by `name === 'SubmitError'`. */
export class SubmitError extends Error {
  override readonly name = 'SubmitError';

  constructor(
    readonly code: SubmitErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isSubmitError(error: unknown): error is SubmitError {
  return error instanceof Error && error.name === 'SubmitError';
}
