import { z } from 'zod';

/** Longest deadline llmq takes, ms: 30 days. */
export const maxDeadlineMs = 30 * 86_400_000;

/** `complete_by`: an RFC 3339 date-time (with an offset) or unix seconds. */
export const completeBySchema = z.union([
  z.iso.datetime({ offset: true }),
  z.number().int().positive().max(1e11),
]);

/** `deadline_ms`: ms from the submit. */
export const deadlineMsSchema = z.number().int().min(1).max(maxDeadlineMs);

/** The deadline fields of a request (jobs, batches). */
export interface DeadlineFields {
  complete_by?: z.infer<typeof completeBySchema>;
  deadline_ms?: number;
}

/** The request's deadline as epoch ms, or undefined when it sets none. */
export function deadlineOf(fields: DeadlineFields, now: number): number | undefined {
  if (fields.deadline_ms !== undefined) return now + fields.deadline_ms;
  if (fields.complete_by === undefined) return undefined;
  return typeof fields.complete_by === 'number'
    ? fields.complete_by * 1000
    : Date.parse(fields.complete_by);
}
