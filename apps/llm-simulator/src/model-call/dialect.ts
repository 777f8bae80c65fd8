import type { IncomingHttpHeaders } from 'node:http';

/** An error answer, before a dialect puts it into its provider's wire format. */
export interface SimulatedError {
  status: number;
  message: string;
  /** The request field at fault (OpenAI's `param`). */
  param?: string | null;
  /** A machine-readable code (OpenAI's `code`), e.g. `model_not_found`. */
  code?: string | null;
}

/** What differs between the providers' wire formats outside the bodies of replies. */
export interface Dialect {
  readonly name: 'openai' | 'anthropic';
  /** Header carrying the unique id of every answer. */
  readonly requestIdHeader: string;
  /** Message of the 401 for a missing credential. */
  readonly unauthorizedMessage: string;
  createRequestId(): string;
  /** Whether the request carries the credential header this provider expects (any value). */
  isAuthorized(headers: IncomingHttpHeaders): boolean;
  /** The error body in this provider's format. */
  formatError(error: SimulatedError, requestId: string): string;
}
