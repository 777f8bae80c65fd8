import type { JobFailure } from '@llmq/core';
import { type Job, UnrecoverableError } from 'bullmq';
import type { z } from 'zod';

/**
 * A queued job's data, parsed with its catalog schema. Data that does not parse fails the
 * job's record (`invalid_job`, so a client polling it sees why) and the BullMQ job without a
 * retry: no later attempt would parse it either. `plain`, when given, answers first for data in a
 * shape it checks by hand as the schema would (see `plainPromptJobData`); the schema parses what
 * it leaves.
 */
export async function parseJobData<Data>(
  job: Pick<Job, 'data' | 'id'>,
  schema: z.ZodType<Data>,
  store: { fail(jobId: string, failure: JobFailure): Promise<unknown> },
  plain?: (data: unknown) => Data | undefined,
): Promise<Data> {
  const checked = plain?.(job.data);
  if (checked !== undefined) return checked;
  const parsed = schema.safeParse(job.data);
  if (parsed.success) return parsed.data;
  const jobId = typeof job.data?.jobId === 'string' ? job.data.jobId : job.id;
  if (jobId)
    await store.fail(jobId, { code: 'invalid_job', message: 'the queued job data is invalid' });
  throw new UnrecoverableError('invalid job data');
}
