import { ClientError } from '../errors/client-error';

/** The furthest a job's start deadline may lie ahead, ms: a queued job's record lives 7 days. */
export const maxStartWindowMs = 7 * 86_400_000;

/**
 * The job's start deadline (epoch ms) from its request's `start_by` (absolute) or
 * `start_within_ms` (from `acceptedAt`); undefined when it has none. A deadline not after
 * `acceptedAt`, or further than {@link maxStartWindowMs}, is refused (400 `invalid_request`):
 * the job could never start, or its record would lapse first.
 */
export function startDeadlineOf(
  request: { start_by?: string; start_within_ms?: number },
  acceptedAt: number,
): number | undefined {
  if (request.start_within_ms !== undefined) return acceptedAt + request.start_within_ms;
  if (request.start_by === undefined) return undefined;
  const deadline = Date.parse(request.start_by);
  if (deadline <= acceptedAt) {
    throw new ClientError('invalid_request', '"start_by" is not in the future', {
      start_by: request.start_by,
      now: new Date(acceptedAt).toISOString(),
    });
  }
  if (deadline - acceptedAt > maxStartWindowMs) {
    throw new ClientError('invalid_request', '"start_by" is more than 7 days ahead', {
      start_by: request.start_by,
    });
  }
  return deadline;
}
