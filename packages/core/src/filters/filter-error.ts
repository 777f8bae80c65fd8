import type { FilterFinding } from './content-filter';

/** Thrown when the input filter refuses a request; the API answers 400 `input_rejected`. */
export class InputRejectedError extends Error {
  override readonly name = 'InputRejectedError';
  readonly code = 'input_rejected';

  constructor(
    message: string,
    readonly findings: FilterFinding[],
  ) {
    super(message);
  }
}

export function isInputRejectedError(error: unknown): error is InputRejectedError {
  return error instanceof Error && (error as { code?: unknown }).code === 'input_rejected';
}
