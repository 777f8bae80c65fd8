import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
import { batchControlJobDataSchema, batchLineJobDataSchema } from '../batches/batch-jobs';
import { queueNames } from '../queues/queue-names';
import { normalizedRequestSchema } from './job-request';

/** Data carried by a queued prompt job; the API builds it, the worker parses it on dequeue. */
export const promptJobDataSchema = z.object({
  jobId: z.string().min(1),
  tenant: z.string().min(1),
  /** Catalog model id (aliases already resolved). */
  model: z.string().min(1),
  request: normalizedRequestSchema,
  createdAt: z.number().int(),
});
export type PromptJobData = z.infer<typeof promptJobDataSchema>;

/** Retention of BullMQ's own job entries; results live in the job store, not here. */
const retention = {
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 24 * 3600, count: 5000 },
} satisfies JobsOptions;

/**
 * Every job name maps to its queue, schema and default options, in this one place
 * (compare trigger.dev's WorkerCatalog). `attempts` is overridden from configuration.
 */
export const jobCatalog = {
  prompt: {
    queue: queueNames.promptsStandard,
    schema: promptJobDataSchema,
    defaultOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /** One line of a batch, in the bulk lane. */
  'batch-line': {
    queue: queueNames.promptsBulk,
    schema: batchLineJobDataSchema,
    defaultOptions: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /** Validates a batch's input file, then enqueues its lines. */
  'batch-ingest': {
    queue: queueNames.batchControl,
    schema: batchControlJobDataSchema,
    defaultOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /** Writes a finished batch's output and error files and sets its final status. */
  'batch-finalize': {
    queue: queueNames.batchControl,
    schema: batchControlJobDataSchema,
    defaultOptions: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
      ...retention,
    } satisfies JobsOptions,
  },
  /** Fires when a batch's completion window ends: lines not yet started end as expired. */
  'batch-expire': {
    queue: queueNames.batchControl,
    schema: batchControlJobDataSchema,
    defaultOptions: { attempts: 5, ...retention } satisfies JobsOptions,
  },
} as const;
export type JobName = keyof typeof jobCatalog;
