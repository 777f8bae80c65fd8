import {
  type ApiKeyScope,
  ClientError,
  hasScope,
  type JobRecord,
  type NormalizedRequest,
  promptJobDataSchema,
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

/** Refuses `include=request` to a key without the `jobs:content` scope (403). */
export function requireContentScope(response: Response): void {
  const principal = response.locals.principal as ApiPrincipal | undefined;
  if (principal && hasScope(principal.scopes, contentScope)) return;
  throw new ClientError(
    'insufficient_scope',
    `include=request needs the "${contentScope}" scope: prompts are shown only to keys allowed to read them`,
    { required_scope: contentScope },
  );
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
