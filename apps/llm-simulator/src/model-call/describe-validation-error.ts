import type { z } from 'zod';
import type { Dialect, SimulatedError } from './dialect';

/** A 400 naming the first invalid field of a request body, worded as `dialect`'s provider does. */
export function describeValidationError(error: z.ZodError, dialect: Dialect): SimulatedError {
  const issue = error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const path = [...issue.path.map(String), issue.keys[0] ?? ''].join('.');
    return {
      status: 400,
      message:
        dialect.name === 'openai'
          ? `Unrecognized request argument supplied: ${path}`
          : `${path}: Extra inputs are not permitted`,
      param: path,
      code: null,
    };
  }
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  const message = issue?.message ?? 'Invalid request body';
  return {
    status: 400,
    message: param === null ? message : `${param}: ${message}`,
    param,
    code: null,
  };
}
