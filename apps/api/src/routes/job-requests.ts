import {
  type ApiKeyScope,
  ClientError,
  hasScope,
  type JobRecord,
  type NormalizedRequest,
  promptJobDataSchema,
  recordWithoutProviderText,
} from '@llmq/core';
import type { Queue } from 'bullmq';
import type { Response } from 'express';
import type { ApiPrincipal } from '../http/api-keys';

/** The lanes' queues, where a job's request (its prompt) is kept while its queue entry lives. */
export interface RequestQueues {
  standard: Queue;
  interactive?: Queue;
}

const contentScope: ApiKeyScope = 'jobs:content';

/** Whether the request's key holds `jobs:content`: it may read prompts and what may quote them. */
export function mayReadContent(response: Response): boolean {
  const principal = response.locals.principal as ApiPrincipal | undefined;
  return principal !== undefined && hasScope(principal.scopes, contentScope);
}

/** Refuses `include=request` to a key without the `jobs:content` scope (403). */
export function requireContentScope(response: Response): void {
  if (mayReadContent(response)) return;
  throw new ClientError(
    'insufficient_scope',
    `include=request needs the "${contentScope}" scope: prompts are shown only to keys allowed to read them`,
    { required_scope: contentScope },
  );
}

/**
 * A job record as the request's key may read it: a provider's error text (which may quote the
 * prompt) only with `jobs:content`; without it, each failure's code, provider, status and
 * request id, in llmq's words (see `withoutProviderText`).
 */
export function readableRecord(response: Response, record: JobRecord): JobRecord {
  return mayReadContent(response) ? record : recordWithoutProviderText(record);
}

/**
 * The requests (prompts, in llmq's neutral model) of these jobs, from their lanes' queue
 * entries: null once the entry is gone (BullMQ keeps a finished job's entry 1 h after it
 * completed, 24 h after it failed).
 */
export async function readJobRequests(
  queues: RequestQueues,
  records: readonly JobRecord[],
): Promise<Map<string, NormalizedRequest | null>> {
  const requests = await Promise.all(
    records.map(async (record) => {
      const queue = record.lane === 'interactive' ? queues.interactive : queues.standard;
      const job = queue ? await queue.getJob(record.id) : undefined;
      const data = promptJobDataSchema.safeParse(job?.data);
      return [record.id, data.success ? data.data.request : null] as const;
    }),
  );
  return new Map(requests);
}
