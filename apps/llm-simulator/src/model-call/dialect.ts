import type { IncomingHttpHeaders } from 'node:http';

/** An error answer, before a dialect puts it into its provider's wire format. */
export interface SimulatedError {
  status: number;
  message: string;
  /** The request field at fault (OpenAI's `param`). */
  param?: string | null;
  /** A machine-readable code (OpenAI's `code`), e.g. `model_not_found`. */
  code?: string | null;
  /** How long the caller should wait before retrying (Gemini puts it in the body as `RetryInfo`). */
  retryAfterMs?: number;
  /**
   * The whole error body, sent as it is instead of the dialect's shape: another provider's
   * error on an OpenAI-style route (Mistral's 422 validation errors).
   */
  body?: unknown;
}

/** What differs between the providers' wire formats outside the bodies of replies. */
export interface Dialect {
  readonly name: 'openai' | 'anthropic' | 'azure' | 'gemini';
  /** Header carrying the unique id of every answer; null for a provider that sends none. */
  readonly requestIdHeader: string | null;
  /** Message of the 401 for a missing credential. */
  readonly unauthorizedMessage: string;
  createRequestId(): string;
  /** Whether the request carries the credential header this provider expects (any value). */
  isAuthorized(headers: IncomingHttpHeaders): boolean;
  /** The error body in this provider's format. */
  formatError(error: SimulatedError, requestId: string): string;
}

/** Sets the dialect's request-id header, when its provider sends one. */
export function setRequestIdHeader(
  response: { setHeader(name: string, value: string): unknown },
  dialect: Dialect,
  requestId: string,
): void {
  if (dialect.requestIdHeader !== null) response.setHeader(dialect.requestIdHeader, requestId);
}
