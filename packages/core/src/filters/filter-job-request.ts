import type { JobRequest } from '../jobs/job-request';
import { type FilterVerdict, inspectInput } from './content-filter';
import type { FilterPolicy } from './filter-policy';

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
