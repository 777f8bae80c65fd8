import { type JobRequest, normalizeJobRequest } from '../jobs/job-request';
import type { ChatRequest } from '../messages/chat-request';
import { chatTextsOf, withChatTexts } from './chat-texts';
import { type FilterFinding, type FilterVerdict, inspectInput } from './content-filter';
import { InputRejectedError } from './filter-error';
import type { FilterPolicy } from './filter-policy';

/** A request the input filter let through: redactions applied, with what the filter found. */
export interface ScreenedJobRequest {
  /** The request as the client sent it (options, webhook, metadata). */
  request: JobRequest;
  /** The provider-neutral conversation to run, redactions applied. */
  chat: ChatRequest;
  findings: FilterFinding[];
}

/**
 * The input filter of a request arriving at the API (`POST /v1/jobs` and the sync endpoints):
 * a blocked request is refused with an `InputRejectedError` naming the blocking findings, any
 * other comes back with its redactions applied. Runs before the cache and the queue, so a
 * blocked prompt leaves no trace and a redacted one reaches neither a provider nor a cache key.
 */
export function screenJobRequest(
  request: JobRequest,
  policy: FilterPolicy,
  chat: ChatRequest = normalizeJobRequest(request),
): ScreenedJobRequest {
  const filtered = filterChatRequest(chat, policy);
  if (filtered.verdict.blocked) {
    throw new InputRejectedError(
      `the input filter rejected the request: ${filtered.verdict.reason ?? 'policy'}`,
      filtered.verdict.findings.filter((finding) => finding.action === 'block'),
    );
  }
  // A `prompt` is the one user message: its findings keep the field's name.
  const findings =
    request.prompt === undefined
      ? filtered.verdict.findings
      : filtered.verdict.findings.map((finding) =>
          finding.location === 'messages[0]' ? { ...finding, location: 'prompt' } : finding,
        );
  return { request, chat: filtered.request, findings };
}

/**
 * Runs the input filter over every text of a conversation (text and tool-result parts, reasoning,
 * tool-call arguments) and returns the request to run (redactions applied) with the verdict. A
 * redaction that would make tool arguments invalid JSON (or change signed reasoning) blocks the
 * request instead, naming where.
 */
export function filterChatRequest(
  request: ChatRequest,
  policy: FilterPolicy,
): { request: ChatRequest; verdict: FilterVerdict } {
  const verdict = inspectInput(chatTextsOf(request.messages), policy);
  if (verdict.blocked) return { request, verdict };
  const written = withChatTexts(request.messages, verdict.texts);
  if ('broken' in written) {
    return {
      request,
      verdict: {
        ...verdict,
        blocked: true,
        reason: `${written.broken.reason} (${written.broken.location}); nothing was redacted`,
      },
    };
  }
  return { request: { ...request, messages: written.messages }, verdict };
}
