import type { PromptJobData } from './job-catalog';

/**
 * A prompt job's data when it is in the shape a plain chat submit queues (text messages, a few
 * sampling options, the fields the API always writes), checked by hand: the data as it is when
 * every key is one this check knows and passes `promptJobDataSchema`'s rule for it, else
 * undefined, and the schema parses it (so data that does not parse fails as before).
 *
 * Every worker parses every job's data with that schema on dequeue, and zod's parse of it (a
 * copy of every object, its checks run through a generic walk) was 2–3% of a worker's busy
 * time at c=50. Data this accepts is data the schema accepts unchanged: no key it strips, no
 * default, no transform; so the only difference is that the result is the data itself, not a
 * copy (nothing downstream writes to it). `plain-prompt-job-data.test.ts` holds the two to the
 * same answers, and fails when a field this checks changes its rule in the schema.
 */
export function plainPromptJobData(data: unknown): PromptJobData | undefined {
  if (!isPlainObject(data)) return undefined;
  for (const key in data) {
    const check = plainDataFields.get(key);
    if (check === undefined || !check(data[key])) return undefined;
  }
  return required.every((key) => key in data) ? (data as PromptJobData) : undefined;
}

type Check = (value: unknown) => boolean;

const text =
  (min: number, max = Number.POSITIVE_INFINITY): Check =>
  (value) =>
    typeof value === 'string' && value.length >= min && value.length <= max;
const finite: Check = (value) => typeof value === 'number' && Number.isFinite(value);
const integer =
  (min = Number.NEGATIVE_INFINITY): Check =>
  (value) =>
    Number.isSafeInteger(value) && (value as number) >= min;
const boolean: Check = (value) => typeof value === 'boolean';

/**
 * The fields of a prompt job's data this check knows, each with the schema's rule (a `Map`: a
 * key such as `constructor` or `__proto__` must find nothing).
 */
export const plainDataFields: ReadonlyMap<string, Check> = new Map<string, Check>([
  ['jobId', text(1)],
  ['tenant', text(1)],
  ['model', text(1)],
  ['request', (value) => isPlainObject(value) && plainRequest(value)],
  ['inputTokens', integer(0)],
  ['createdAt', integer()],
  ['requestId', text(0, 128)],
  ['traceparent', text(0, 64)],
  ['tracestate', text(0, 512)],
  ['stream', boolean],
  ['stoppable', boolean],
  ['noReservation', (value) => value === true],
]);
const required = ['jobId', 'tenant', 'model', 'request', 'createdAt'];

/** The request's fields this check knows (`chatRequestSchema` is strict: no other key passes). */
export const plainRequestFields: ReadonlyMap<string, Check> = new Map<string, Check>([
  ['messages', (value) => Array.isArray(value) && value.length > 0 && value.every(plainMessage)],
  ['maxTokens', integer(1)],
  ['temperature', finite],
  ['topP', finite],
  ['seed', integer()],
]);

function plainRequest(request: Record<string, unknown>): boolean {
  for (const key in request) {
    const check = plainRequestFields.get(key);
    if (check === undefined || !check(request[key])) return false;
  }
  return 'messages' in request;
}

/** A system, user or assistant message whose content is a string, and nothing else. */
function plainMessage(message: unknown): boolean {
  if (!isPlainObject(message)) return false;
  let keys = 0;
  for (const key in message) {
    keys++;
    if (key !== 'role' && key !== 'content') return false;
  }
  const { role } = message;
  return (
    keys === 2 &&
    (role === 'user' || role === 'system' || role === 'assistant') &&
    typeof message.content === 'string'
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
