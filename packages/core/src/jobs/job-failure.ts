import { z } from 'zod';
import type { ProviderErrorCode } from '../providers/provider-error';
import type { AttemptRecord } from '../resilience/attempt-record';
import type { RouteErrorCode, RoutingDecision } from '../routing/route-request';

/** Closed set of codes a failed job ends with. */
export const jobFailureCodeSchema = z.enum([
  'provider_rate_limited',
  'provider_overloaded',
  'provider_server_error',
  'provider_timeout',
  'provider_connection_error',
  'provider_stream_interrupted',
  'provider_malformed_response',
  'provider_bad_request',
  'provider_authentication_failed',
  'provider_permission_denied',
  'provider_model_not_found',
  'provider_unprocessable',
  'content_filtered',
  /** The request has a field the chosen model cannot take. */
  'unsupported_parameter',
  /** The output filter blocked the model's answer (tenant policy). */
  'output_rejected',
  'provider_error',
  'worker_lost',
  'invalid_job',
  'model_unavailable',
  'circuit_open',
  'context_window_exceeded',
  'cost_limit_exceeded',
  'model_capability_missing',
  'internal_error',
  /** The job was not started by its `start_by` (no provider call was made). */
  'deadline_exceeded',
  /** A speculative job's upgrade did not happen because the job was cancelled (`upgrade_error`). */
  'cancelled',
]);
export type JobFailureCode = z.infer<typeof jobFailureCodeSchema>;

/** What a failed job reports: a code from the closed set and a human sentence. */
export interface JobFailure {
  code: JobFailureCode;
  message: string;
  provider?: string;
  status_code?: number;
  request_id?: string;
  /** Every provider call the job made, in order. */
  attempts?: AttemptRecord[];
  /** The routing decision, when routing got that far. */
  routing?: RoutingDecision;
}

/** Maps a provider error code to the job failure code it ends a job with. */
export function failureCodeForProviderError(code: ProviderErrorCode): JobFailureCode {
  switch (code) {
    case 'rate_limited':
      return 'provider_rate_limited';
    case 'overloaded':
      return 'provider_overloaded';
    case 'server_error':
      return 'provider_server_error';
    case 'timeout':
      return 'provider_timeout';
    case 'connection_error':
      return 'provider_connection_error';
    // The worker closed its connections mid-call (shutdown): as when it stops mid-job.
    case 'client_closed':
      return 'worker_lost';
    case 'stream_interrupted':
      return 'provider_stream_interrupted';
    case 'malformed_response':
      return 'provider_malformed_response';
    case 'bad_request':
      return 'provider_bad_request';
    case 'authentication_failed':
      return 'provider_authentication_failed';
    case 'permission_denied':
      return 'provider_permission_denied';
    case 'model_not_found':
      return 'provider_model_not_found';
    case 'unprocessable':
      return 'provider_unprocessable';
    case 'content_filtered':
      return 'content_filtered';
    case 'unsupported_parameter':
      return 'unsupported_parameter';
    case 'aborted':
    case 'unknown':
      return 'provider_error';
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/** Maps a routing refusal found when a job runs to the failure code it ends the job with. */
export function failureCodeForRoute(code: RouteErrorCode): JobFailureCode {
  switch (code) {
    case 'unknown_model':
    case 'model_unavailable':
      return 'model_unavailable';
    case 'context_window_exceeded':
      return 'context_window_exceeded';
    case 'cost_limit_exceeded':
      return 'cost_limit_exceeded';
    case 'model_capability_missing':
      return 'model_capability_missing';
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}
