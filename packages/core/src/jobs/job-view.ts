import type { JobRecord } from './job-record';

/** The JSON a client sees for a job (`GET /v1/jobs/:id`). Tenant ids are never shown. */
export function toJobView(record: JobRecord) {
  return {
    id: record.id,
    object: 'job' as const,
    status: record.status,
    model: record.model,
    priority: record.priority,
    created_at: new Date(record.createdAt).toISOString(),
    started_at: record.startedAt ? new Date(record.startedAt).toISOString() : null,
    finished_at: record.finishedAt ? new Date(record.finishedAt).toISOString() : null,
    attempts: record.attempts,
    metadata: record.metadata ?? {},
    ...(record.lane ? { lane: record.lane } : {}),
    ...(record.startBy !== undefined ? { start_by: new Date(record.startBy).toISOString() } : {}),
    ...(record.inputFindings?.length ? { input_findings: record.inputFindings } : {}),
    ...(record.optimization ? { optimization: record.optimization } : {}),
    ...(record.result ? { result: record.result } : {}),
    ...(record.error ? { error: record.error } : {}),
    ...(record.lastError && record.status === 'queued' ? { last_error: record.lastError } : {}),
    links: jobLinks(record.id),
  };
}
export type JobView = ReturnType<typeof toJobView>;

export function jobLinks(jobId: string) {
  return { self: `/v1/jobs/${jobId}` };
}
