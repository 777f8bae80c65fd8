import type { JobRequest } from '../jobs/job-request';

/**
 * Fields of a `POST /v1/jobs` body that a chat batch line cannot honour, and why: a line runs
 * once on the bulk lane, its answer goes to the batch's output file. Each is refused at ingest
 * by name (`invalid_body`, `body.<field>`) rather than accepted and silently ignored.
 */
const fieldsNotOnLines: Partial<Record<keyof JobRequest, string>> = {
  hedge: 'a line makes no hedged second call',
  speculative: 'a line has one answer, not an initial and a final one',
  priority: 'lines carry no priority of their own (the bulk lane orders them)',
  metadata: "set the batch's own metadata instead",
  webhook: "subscribe to batch.completed instead (the tenant's webhook endpoints)",
  cache: 'lines do not read or write the response cache',
  cache_options: 'lines do not read or write the response cache',
  optimize: 'lines are not prompt-optimised',
};

/** Why a chat line's body is refused: the field and the message. */
export interface RefusedLineField {
  field: string;
  message: string;
}

/**
 * The first job-only field a chat line's body sets, or undefined. `stream: false` is what a
 * line does anyway and passes; `stream: true` is refused (a line is never streamed).
 */
export function refusedLineField(body: Record<string, unknown>): RefusedLineField | undefined {
  for (const [field, reason] of Object.entries(fieldsNotOnLines)) {
    if (body[field] !== undefined)
      return { field, message: `"${field}" is not supported on batch lines: ${reason}` };
  }
  if (body.stream === true)
    return {
      field: 'stream',
      message: '"stream": true is not supported on batch lines: answers go to the output file',
    };
  return undefined;
}
