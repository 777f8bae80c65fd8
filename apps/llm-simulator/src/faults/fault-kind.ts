import { z } from 'zod';

/**
 * Every fault the simulator can inject, named as the `x-sim-fault` header names them.
 * Status faults answer with that HTTP status; `hang` never answers; `cut-stream` destroys the
 * connection part-way through the body; `malformed` answers 200 with invalid JSON.
 */
export const faultKindSchema = z.enum([
  '400',
  '401',
  '429',
  '500',
  '503',
  '529',
  'hang',
  'cut-stream',
  'malformed',
]);

export type FaultKind = z.infer<typeof faultKindSchema>;
