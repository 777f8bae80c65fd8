import type { z } from 'zod';
import type { SimulatedError } from './dialect';

/** A 400 naming the first invalid field of a request body. */
export function describeValidationError(error: z.ZodError): SimulatedError {
  const issue = error.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  const message = issue?.message ?? 'Invalid request body';
  return {
    status: 400,
    message: param === null ? message : `${param}: ${message}`,
    param,
    code: null,
  };
}
