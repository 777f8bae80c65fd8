import type { z } from 'zod';
import type { Dialect, SimulatedError } from './dialect';

/** A 400 naming the first invalid field of a request body, worded as `dialect`'s provider does. */
export function describeValidationError(error: z.ZodError, dialect: Dialect): SimulatedError {
  const issue = error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const path = [...issue.path.map(String), issue.keys[0] ?? ''].join('.');
    return {
      status: 400,
      message: unknownFieldMessage(dialect, path, issue.keys[0] ?? ''),
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

function unknownFieldMessage(dialect: Dialect, path: string, key: string): string {
  switch (dialect.name) {
    case 'openai':
    case 'azure':
      return `Unrecognized request argument supplied: ${path}`;
    case 'gemini':
      return `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`;
    case 'anthropic':
      return `${path}: Extra inputs are not permitted`;
    default: {
      const unexpected: never = dialect.name;
      throw new Error(`Unknown dialect ${String(unexpected)}`);
    }
  }
}
