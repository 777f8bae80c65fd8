import type { RefusedRequest } from './model-route';

/** A 400 invalid-request refusal naming the parameter at fault. */
export function refuse(
  message: string,
  param: string | null,
  code: string | null = null,
): RefusedRequest {
  return { refused: { status: 400, message, param, code } };
}
