/**
 * A request field that cannot be expressed for the chosen model or wire format. It is refused
 * (HTTP 400 `unsupported_parameter`), never dropped.
 */
export class UnsupportedParameterError extends Error {
  override readonly name = 'UnsupportedParameterError';
  readonly code = 'unsupported_parameter';

  constructor(
    /** The parameter as the client spelled it, e.g. `n`, `messages[2].name`, `logprobs`. */
    readonly parameter: string,
    /** The model (or dialect) that cannot take it. */
    readonly model: string,
    reason = 'is not supported by',
  ) {
    super(`"${parameter}" ${reason} ${model}`);
  }
}

/** True for an {@link UnsupportedParameterError}, also across module copies (by name). */
export function isUnsupportedParameterError(error: unknown): error is UnsupportedParameterError {
  return error instanceof Error && error.name === 'UnsupportedParameterError';
}
