import { z } from 'zod';
import { type JobLane, jobLanes } from './job-record';
import { type JobStatus, jobStatusSchema } from './job-status';

/**
 * Which of a tenant's jobs a listing, a bulk cancel or a bulk retry acts on (every field
 * optional; all given ones must match). The JSON shape of the admin bulk routes' `filter`;
 * `GET /v1/jobs` takes the same fields as query parameters ({@link jobFilterQuerySchema}).
 */
export const jobFilterSchema = z
  .object({
    /** One status or several (any of them). */
    status: z.union([jobStatusSchema, z.array(jobStatusSchema).min(1).max(5)]).optional(),
    /** The catalog model the job asked for (after alias resolution), or `auto`. */
    model: z.string().min(1).max(200).optional(),
    lane: z.enum(jobLanes).optional(),
    /** Created at or after (RFC 3339). */
    created_after: z.iso.datetime({ offset: true }).optional(),
    /** Created before (RFC 3339). */
    created_before: z.iso.datetime({ offset: true }).optional(),
    /** Metadata pairs the job's `metadata` must hold, every one (at most 4). */
    metadata: z
      .record(z.string().min(1).max(64), z.string().max(512))
      .refine((value) => Object.keys(value).length <= 4, { message: 'at most 4 metadata pairs' })
      .optional(),
  })
  .strict();
export type JobFilterInput = z.infer<typeof jobFilterSchema>;

/** A job filter as the explorer applies it (times in epoch ms). */
export interface JobFilter {
  statuses?: readonly JobStatus[];
  model?: string;
  lane?: JobLane;
  /** Inclusive, epoch ms. */
  createdAfter?: number;
  /** Exclusive, epoch ms. */
  createdBefore?: number;
  metadata?: ReadonlyArray<readonly [string, string]>;
}

/** The one conversion from the wire shape to the explorer's. */
export function toJobFilter(input: JobFilterInput): JobFilter {
  return {
    ...(input.status !== undefined
      ? { statuses: Array.isArray(input.status) ? input.status : [input.status] }
      : {}),
    ...(input.model !== undefined ? { model: input.model } : {}),
    ...(input.lane !== undefined ? { lane: input.lane } : {}),
    ...(input.created_after !== undefined ? { createdAfter: Date.parse(input.created_after) } : {}),
    ...(input.created_before !== undefined
      ? { createdBefore: Date.parse(input.created_before) }
      : {}),
    ...(input.metadata ? { metadata: Object.entries(input.metadata) } : {}),
  };
}

/** `a,b` or a repeated parameter, as one list. */
function listParameter(value: unknown): unknown {
  if (typeof value === 'string') return value.split(',').filter((item) => item !== '');
  return value;
}

/**
 * The filter as query parameters: `status=failed,cancelled` (or repeated), `model`, `lane`,
 * `created_after`, `created_before`, and `metadata=key:value` (repeatable; the first `:`
 * separates key from value).
 */
export const jobFilterQueryShape = {
  status: z.preprocess(listParameter, z.array(jobStatusSchema).min(1).max(5)).optional(),
  model: z.string().min(1).max(200).optional(),
  lane: z.enum(jobLanes).optional(),
  created_after: z.iso.datetime({ offset: true }).optional(),
  created_before: z.iso.datetime({ offset: true }).optional(),
  metadata: z
    .preprocess(
      (value) => (typeof value === 'string' ? [value] : value),
      z
        .array(z.string().regex(/^[^:]{1,64}:.{0,512}$/, 'metadata=key:value'))
        .min(1)
        .max(4),
    )
    .optional(),
};

/** The wire filter of a query string parsed with {@link jobFilterQueryShape}. */
export function filterInputFromQuery(query: {
  status?: JobStatus[];
  model?: string;
  lane?: JobLane;
  created_after?: string;
  created_before?: string;
  metadata?: string[];
}): JobFilterInput {
  const { metadata, ...rest } = query;
  if (!metadata) return rest;
  const pairs: Record<string, string> = {};
  for (const pair of metadata) {
    const separator = pair.indexOf(':');
    pairs[pair.slice(0, separator)] = pair.slice(separator + 1);
  }
  return { ...rest, metadata: pairs };
}

/** The filter fields of a job record, as the explorer reads them from its hash. */
export const jobFilterFields = ['tenant', 'status', 'model', 'lane', 'metadata'] as const;

/** Whether a record's filter fields (in {@link jobFilterFields} order) match. */
export function matchesJobFilter(
  values: ReadonlyArray<string | null>,
  tenant: string,
  filter: JobFilter,
): boolean {
  const [recordTenant, status, model, lane, metadata] = values;
  if (recordTenant !== tenant) return false;
  if (filter.statuses && !filter.statuses.some((wanted) => wanted === status)) return false;
  if (filter.model !== undefined && model !== filter.model) return false;
  // Records written before lanes were recorded are standard-lane jobs.
  if (filter.lane !== undefined && (lane ?? 'standard') !== filter.lane) return false;
  if (filter.metadata?.length) {
    const stored: Record<string, unknown> = metadata ? JSON.parse(metadata) : {};
    for (const [key, value] of filter.metadata) if (stored[key] !== value) return false;
  }
  return true;
}
