import { type ClientErrorCode, clientErrorStatus } from '../errors/client-error';
import type { JobFailure, JobFailureCode } from './job-failure';

/**
 * Job failures a compatible endpoint answers with their own code rather than a 502
 * `job_failed`: the request's own fault (a 400), or a deadline it set that passed (504).
 */
const requestFaults: ReadonlyMap<
  JobFailureCode,
  'unsupported_parameter' | 'invalid_request' | 'deadline_exceeded'
> = new Map([
  // A field the routed model cannot take: as it would have been answered before the queue.
  ['unsupported_parameter', 'unsupported_parameter'],
  // The provider refused the request as the client wrote it (a thinking block whose signature
  // does not verify, a value out of the provider's range): the client's to fix.
  ['provider_bad_request', 'invalid_request'],
  // Not started by its deadline: no provider was called, so no upstream error to relay.
  ['deadline_exceeded', 'deadline_exceeded'],
]);

/**
 * The code a compatible endpoint answers a failed job with: its request fault's own code,
 * else `job_failed` (a 502).
 */
export function failureClientCode(failure: Pick<JobFailure, 'code'> | undefined): ClientErrorCode {
  return (failure && requestFaults.get(failure.code)) ?? 'job_failed';
}

/**
 * The HTTP status a failed request was answered with: the provider's, when its call failed
 * with one, else the one a compatible endpoint answers the request's own fault with;
 * undefined for a failure with no HTTP answer (a connection error, a lost worker, a 502
 * `job_failed` that is llmq's word for "the call failed", not the request's answer).
 */
export function failureHttpStatus(failure: JobFailure): number | undefined {
  if (failure.status_code !== undefined) return failure.status_code;
  const code = failureClientCode(failure);
  return code === 'job_failed' ? undefined : clientErrorStatus[code];
}
