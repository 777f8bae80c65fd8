import type { GenerateRequest } from './language-model';

/** What one call sets on a job's request (see {@link callRequest}). */
export type CallOptions = Pick<GenerateRequest, 'headers' | 'signal' | 'serviceTier'>;

/**
 * The request of one call: the job's request with this call's headers, signal or tier set (a
 * key given as undefined is set to undefined, as a spread would). A new object, made with
 * `Object.assign` rather than `{ ...request, headers }`: on Node 20 a spread copy given a key its
 * source lacks costs ~1 µs and gets a hidden class of its own, so each of the adapter's ~20 reads
 * of it (the request converter, the span's attributes) misses its inline cache, several µs a
 * call (docs/performance.md, "The worker's spread copies"). The one key `Object.assign` treats
 * unlike a spread is an own `__proto__`, which a parsed job request (zod keeps only its schema's
 * keys) does not have.
 */
export function callRequest(
  request: Omit<GenerateRequest, 'headers' | 'signal'> | GenerateRequest,
  options: CallOptions,
): GenerateRequest {
  return Object.assign({}, request, options);
}
