import type { JobEvent } from './job-event';
import type { JobFailure, JobFailureCode } from './job-failure';
import type { JobRecord, JobResult } from './job-record';

/**
 * Whether a failure with this code got its message from a provider's error (its body, or the
 * SDK's words around it): a provider may quote the prompt there (some echo the value they
 * refuse). The rest are llmq's own sentences.
 */
function isProviderCode(code: JobFailureCode): boolean {
  switch (code) {
    case 'provider_rate_limited':
    case 'provider_overloaded':
    case 'provider_server_error':
    case 'provider_timeout':
    case 'provider_connection_error':
    case 'provider_stream_interrupted':
    case 'provider_malformed_response':
    case 'provider_bad_request':
    case 'provider_authentication_failed':
    case 'provider_permission_denied':
    case 'provider_model_not_found':
    case 'provider_unprocessable':
    case 'content_filtered':
    case 'unsupported_parameter':
    case 'provider_error':
    case 'worker_lost':
      return true;
    case 'output_rejected':
    case 'invalid_job':
    case 'model_unavailable':
    case 'circuit_open':
    case 'context_window_exceeded':
    case 'cost_limit_exceeded':
    case 'model_capability_missing':
    case 'internal_error':
    case 'deadline_exceeded':
    case 'cancelled':
      return false;
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

/** Whether `failure.message` is a provider's text (a failure built from a provider's error). */
export function carriesProviderText(failure: JobFailure): boolean {
  return failure.provider !== undefined && isProviderCode(failure.code);
}

/**
 * A failure's message without the provider's text: its code, provider and HTTP status, which
 * never quote the prompt. What BullMQ keeps as a failed job's reason (and so what Bull Board
 * and the logs of a retry show). A failure of llmq's own keeps its message.
 */
export function failureSummary(failure: JobFailure): string {
  if (!carriesProviderText(failure)) return failure.message;
  const status = failure.status_code !== undefined ? ` (HTTP ${failure.status_code})` : '';
  return `${failure.code} from ${failure.provider}${status}`;
}

/** The sentence standing in for a provider's text shown to a key without `jobs:content`. */
export function withoutProviderText(failure: JobFailure): JobFailure {
  if (!carriesProviderText(failure)) return failure;
  return {
    ...failure,
    message: `${failureSummary(failure)}; the provider's message is shown only to keys with the jobs:content scope`,
  };
}

/** A result as a key without `jobs:content` sees it: its upgrade's failure without the provider's text. */
export function resultWithoutProviderText(result: JobResult): JobResult {
  const initial = result.initial ? resultWithoutProviderText(result.initial) : undefined;
  if (!result.upgrade_error && !initial) return result;
  return {
    ...result,
    ...(result.upgrade_error ? { upgrade_error: withoutProviderText(result.upgrade_error) } : {}),
    ...(initial ? { initial } : {}),
  };
}

/**
 * A job record as a key without `jobs:content` sees it: every failure it holds (`error`,
 * `last_error`, a result's `upgrade_error`) keeps its code, provider, status and request id,
 * and says in llmq's words what the provider's message was about.
 */
export function recordWithoutProviderText(record: JobRecord): JobRecord {
  return {
    ...record,
    ...(record.error ? { error: withoutProviderText(record.error) } : {}),
    ...(record.lastError ? { lastError: withoutProviderText(record.lastError) } : {}),
    ...(record.result ? { result: resultWithoutProviderText(record.result) } : {}),
  };
}

/**
 * A job event as a key without `jobs:content` sees it: a status event's `error` and
 * `last_error`, a speculative answer's `upgrade_error`, without the provider's text. Events
 * that hold none are returned as they are (their stored JSON relayed without re-encoding).
 */
export function eventWithoutProviderText(event: JobEvent): JobEvent {
  if (event.name === 'delta') return event;
  if (event.name === 'status') {
    const { error, last_error } = event.data;
    if (!(error && carriesProviderText(error)) && !(last_error && carriesProviderText(last_error)))
      return event;
    const data = {
      ...event.data,
      ...(error ? { error: withoutProviderText(error) } : {}),
      ...(last_error ? { last_error: withoutProviderText(last_error) } : {}),
    };
    return { ...event, data, json: JSON.stringify(data) };
  }
  const data = resultWithoutProviderText(event.data);
  return data === event.data ? event : { ...event, data, json: JSON.stringify(data) };
}
