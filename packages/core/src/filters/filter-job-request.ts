import type { JobRequest } from '../jobs/job-request';
import { type FilterFinding, type FilterVerdict, inspectInput } from './content-filter';
import { InputRejectedError } from './filter-error';
import type { FilterPolicy } from './filter-policy';

/** A request the input filter let through: redactions applied, with what the filter found. */
export interface ScreenedJobRequest {
  request: JobRequest;
  findings: FilterFinding[];
}

/**
 * The input filter of a request arriving at the API (`POST /v1/jobs` and the sync endpoints):
 * a blocked request is refused with an `InputRejectedError` naming the blocking findings, any
 * other comes back with its redactions applied. Runs before the cache and the queue, so a
 * blocked prompt leaves no trace and a redacted one reaches neither a provider nor a cache key.
 */
export function screenJobRequest(request: JobRequest, policy: FilterPolicy): ScreenedJobRequest {
  const filtered = filterJobRequest(request, policy);
  if (filtered.verdict.blocked) {
    throw new InputRejectedError(
      `the input filter rejected the request: ${filtered.verdict.reason ?? 'policy'}`,
      filtered.verdict.findings.filter((finding) => finding.action === 'block'),
    );
  }
  return { request: filtered.request, findings: filtered.verdict.findings };
}

/**
 * Runs the input filter over a job request's prompt or messages and returns the request to
 * enqueue (with redactions applied) together with the verdict.
 */
export function filterJobRequest(
  request: JobRequest,
  policy: FilterPolicy,
): { request: JobRequest; verdict: FilterVerdict } {
  if (request.prompt !== undefined) {
    const verdict = inspectInput([{ location: 'prompt', text: request.prompt }], policy);
    return { request: { ...request, prompt: verdict.texts[0] ?? request.prompt }, verdict };
  }
  const messages = request.messages ?? [];
  const parts = messages.flatMap((message, index) =>
    typeof message.content === 'string'
      ? [{ location: `messages[${index}]`, text: message.content }]
      : message.content.map((part, partIndex) => ({
          location: `messages[${index}].content[${partIndex}]`,
          text: part.text,
        })),
  );
  const verdict = inspectInput(parts, policy);
  let cursor = 0;
  const filtered = messages.map((message) => {
    if (typeof message.content === 'string') {
      return { ...message, content: verdict.texts[cursor++] ?? message.content };
    }
    return {
      ...message,
      content: message.content.map((part) => ({
        ...part,
        text: verdict.texts[cursor++] ?? part.text,
      })),
    };
  });
  return { request: { ...request, messages: filtered }, verdict };
}
