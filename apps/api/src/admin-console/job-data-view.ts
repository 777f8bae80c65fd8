/**
 * The fields of BullMQ job data the read-only board shows as they are: ids, routing and
 * bookkeeping, never a tenant's text. Everything else (a prompt job's or batch line's
 * `request`, an endpoint job's `embedding` or `completion`, a Responses line's `responses`
 * with its `instructions`, and any field added later until it is listed here) is shown as
 * {@link omittedJobField}. An allowlist, so a new field that carries a prompt stays hidden.
 */
const shownJobFields = new Set([
  'jobId',
  'tenant',
  'model',
  'batchId',
  'index',
  'customId',
  'endpoint',
  'providerBatchId',
  'poll',
  'deliveryId',
  'run',
  'createdAt',
  'requestId',
  'traceparent',
  'tracestate',
  'serviceTier',
  'completeBy',
  'startBy',
  'inputTokens',
  'requirements',
  'fallbacks',
  'hedge',
  'speculative',
  'stream',
  'stoppable',
  'cache',
  'cacheOptions',
  'apiKey',
  'noReservation',
  'progress',
]);

/** What the read-only board shows in place of a field that may hold a tenant's text. */
export const omittedJobField = '[omitted: may hold prompt text]';

/**
 * A job's data as the read-only board (`admin:read`) shows it: without prompt text, which
 * only a tenant key with `jobs:content` reads (`include=request`), as the console's job page
 * never shows it either.
 */
export function jobDataView(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return data;
  const view: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(data))
    view[field] = shownJobFields.has(field) ? value : omittedJobField;
  return view;
}
