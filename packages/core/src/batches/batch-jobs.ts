import { z } from 'zod';
import { serviceTierSchema } from '../catalog/service-tier';
import { responseSettingsSchema } from '../dialects/openai-responses/response-settings';
import { jobProgressSchema } from '../jobs/job-progress';
import { normalizedRequestSchema, requirementsSchema } from '../jobs/job-request';
import { completionsLineRequestSchema } from './completions-line-request';
import { embeddingsLineRequestSchema } from './embeddings-line-request';

/** Data of one queued batch line (lane `prompts-bulk`). */
export const batchLineJobDataSchema = z.object({
  batchId: z.string().min(1),
  tenant: z.string().min(1),
  /** 0-based index of the request among the batch's requests (its bit in the done bitmap). */
  index: z.number().int().min(0),
  customId: z.string().min(1),
  /** Catalog model id (aliases already resolved), or `auto`: routed when the line runs. */
  model: z.string().min(1),
  request: normalizedRequestSchema,
  /** What `auto` weighs (and `max_cost_usd` caps an explicit model too), as on a job. */
  requirements: requirementsSchema.optional(),
  /** false: no fallback chain, only the routed model. */
  fallbacks: z.boolean().optional(),
  /**
   * `/v1/messages`: a Message Batch's line, whose answer is written as an Anthropic message;
   * absent: an OpenAI chat line, answered as a `chat.completion`.
   */
  endpoint: z.literal('/v1/messages').optional(),
  /** Provider calls of earlier attempts, and where a parked line resumes its chain. */
  progress: jobProgressSchema.optional(),
  createdAt: z.number().int(),
  /** A `/v1/responses` line: its output line is a Responses `response` echoing these settings. */
  responses: responseSettingsSchema.optional(),
  /**
   * A chat line with OpenAI's legacy `functions`: its output `chat.completion` answers a call
   * as `function_call`, as OpenAI answers such a request.
   */
  legacyFunctions: z.literal(true).optional(),
  /**
   * A chat line whose output limit came in `max_completion_tokens`: the field a refusal of the
   * limit names (absent: `max_tokens`; a `/v1/responses` line's is `max_output_tokens`).
   */
  maxTokensField: z.literal('max_completion_tokens').optional(),
  /**
   * `flex`: the line runs on the flex tier first, until `completeBy` (epoch ms) allows.
   * `batch`: the line waits in a provider batch (see `ProviderBatchStore`); it is only queued
   * here, on standard, when llmq runs it itself.
   */
  serviceTier: serviceTierSchema.optional(),
  completeBy: z.number().int().optional(),
});
export type BatchLineJobData = z.infer<typeof batchLineJobDataSchema>;

/** What every batch line's job data holds, whatever its endpoint: enough to record its end. */
export const batchLineIdentitySchema = z.object({
  batchId: z.string().min(1),
  index: z.number().int().min(0),
  customId: z.string().min(1),
});

const endpointLineShape = {
  batchId: z.string().min(1),
  tenant: z.string().min(1),
  index: z.number().int().min(0),
  customId: z.string().min(1),
  /** Catalog model id (aliases resolved); serves the line's endpoint. */
  model: z.string().min(1),
  /** Provider calls of earlier attempts (AttemptRecords with this line's share of each call). */
  progress: jobProgressSchema.optional(),
  createdAt: z.number().int(),
};

/**
 * Data of a `/v1/embeddings` or `/v1/completions` batch line (lane `prompts-bulk`). Unlike
 * chat lines (`batchLineJobDataSchema`, no `endpoint` field), these run through the
 * micro-batcher: many lines of one model share one provider call.
 */
export const endpointLineJobDataSchema = z.discriminatedUnion('endpoint', [
  z.object({
    ...endpointLineShape,
    endpoint: z.literal('/v1/embeddings'),
    embedding: embeddingsLineRequestSchema,
  }),
  z.object({
    ...endpointLineShape,
    endpoint: z.literal('/v1/completions'),
    completion: completionsLineRequestSchema,
  }),
]);
export type EndpointLineJobData = z.infer<typeof endpointLineJobDataSchema>;

/** Any job of the bulk lane: a chat line or an embeddings/completions line. */
export const anyBatchLineJobDataSchema = z.union([
  batchLineJobDataSchema,
  endpointLineJobDataSchema,
]);

/** Data of the bookkeeping jobs (ingest, finalise, expire): they only name the batch. */
export const batchControlJobDataSchema = z.object({ batchId: z.string().min(1) });
export type BatchControlJobData = z.infer<typeof batchControlJobDataSchema>;

/**
 * Data of the provider batch jobs (submit, poll) on the `batch-control` queue: which provider
 * batch, and for a poll its number (the next poll's job id is made from it, so a poll run twice
 * after a crash queues its successor once).
 */
export const providerBatchJobDataSchema = z.object({
  providerBatchId: z.string().min(1),
  poll: z.number().int().min(0).default(0),
});
export type ProviderBatchJobData = z.infer<typeof providerBatchJobDataSchema>;
