import { z } from 'zod';
import { completionsLineRequestSchema } from '../batches/completions-line-request';
import { embeddingsLineRequestSchema } from '../batches/embeddings-line-request';
import type { FinishReason } from '../providers/language-model';
import { jobProgressSchema } from './job-progress';

const endpointJobShape = {
  jobId: z.string().min(1),
  tenant: z.string().min(1),
  /** Catalog model id (aliases resolved); serves the job's endpoint. */
  model: z.string().min(1),
  /** Provider calls of earlier attempts (the job's share of each micro-batched call). */
  progress: jobProgressSchema.optional(),
  createdAt: z.number().int(),
  /** The submitting HTTP request's id, so worker log lines join the API's. */
  requestId: z.string().max(128).optional(),
};

/**
 * Data of a sync `POST /v1/embeddings` or `POST /v1/completions` request's job (interactive
 * lane). It carries the same request as an embeddings or completions batch line and runs
 * through the same micro-batched calls; its end goes to the job store, like a prompt job's.
 */
export const endpointJobDataSchema = z.discriminatedUnion('endpoint', [
  z.object({
    ...endpointJobShape,
    endpoint: z.literal('/v1/embeddings'),
    embedding: embeddingsLineRequestSchema,
  }),
  z.object({
    ...endpointJobShape,
    endpoint: z.literal('/v1/completions'),
    completion: completionsLineRequestSchema,
  }),
]);
export type EndpointJobData = z.infer<typeof endpointJobDataSchema>;

/**
 * What an embeddings or completions job answered, stored in its `JobResult.endpoint_answer`
 * (the chat fields of the result say what they can: the first choice's text and finish).
 */
export type EndpointAnswer =
  | { type: 'embeddings'; embeddings: number[][] }
  | {
      type: 'completions';
      /** One choice per prompt, `index` in prompt order. */
      choices: Array<{ index: number; text: string; finish_reason: FinishReason }>;
    };
