import type { FaultKind } from '../faults/fault-kind';
import { exhaustedRateLimitHeaders, retryAfterHeaders } from '../limits/rate-limit-headers';
import type { ModelProfile } from '../profiles/model-profile';
import type { SimulatedError } from './dialect';

/** Faults answered with an error status. */
export type ErrorFault = Extract<FaultKind, '400' | '401' | '429' | '500' | '503' | '529'>;

/** The error and headers an injected status fault answers with. */
export function faultError(
  fault: ErrorFault,
  model: string,
  profile: ModelProfile,
  retryAfterMs: number,
): { error: SimulatedError; headers: Record<string, string> } {
  switch (fault) {
    case '400':
      return {
        error: { status: 400, message: 'Simulated invalid request (fault 400).' },
        headers: {},
      };
    case '401':
      return {
        error: {
          status: 401,
          message: 'Simulated invalid API key (fault 401).',
          code: 'invalid_api_key',
        },
        headers: {},
      };
    case '429':
      return {
        error: {
          status: 429,
          message: `Simulated rate limit reached for ${model} (fault 429). Please try again later.`,
          code: 'rate_limit_exceeded',
          retryAfterMs,
        },
        headers: exhaustedRateLimitHeaders(profile, retryAfterMs),
      };
    case '500':
      return {
        error: { status: 500, message: 'Simulated internal server error (fault 500).' },
        headers: {},
      };
    case '503':
      return {
        error: {
          status: 503,
          message: 'Simulated service unavailable (fault 503).',
          code: 'service_unavailable',
          retryAfterMs,
        },
        headers: retryAfterHeaders(retryAfterMs),
      };
    case '529':
      return {
        error: {
          status: 529,
          message: 'Overloaded (simulated fault 529).',
          code: 'overloaded',
          retryAfterMs,
        },
        headers: retryAfterHeaders(retryAfterMs),
      };
    default: {
      const unexpected: never = fault;
      throw new Error(`Unknown error fault ${String(unexpected)}`);
    }
  }
}
