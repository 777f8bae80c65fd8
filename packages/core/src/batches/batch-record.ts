import { z } from 'zod';
import type { RequestedServiceTier } from '../catalog/service-tier';
import type { TokenCounts } from '../resilience/usage-records';

/** OpenAI's batch lifecycle, which llmq follows exactly. */
export const batchStatusSchema = z.enum([
  'validating',
  'failed',
  'in_progress',
  'finalizing',
  'completed',
  'expired',
  'cancelling',
  'cancelled',
]);
export type BatchStatus = z.infer<typeof batchStatusSchema>;

/**
 * Endpoints an OpenAI batch (`POST /v1/batches`) may target. Chat and Responses lines run
 * through the routed provider stage; embeddings and completions lines through the
 * micro-batcher (many lines per provider call).
 */
export const openaiBatchEndpointSchema = z.enum([
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/completions',
  '/v1/responses',
]);
export type OpenAIBatchEndpoint = z.infer<typeof openaiBatchEndpointSchema>;
export const supportedBatchEndpoints: readonly OpenAIBatchEndpoint[] =
  openaiBatchEndpointSchema.options;

/**
 * Endpoints a stored batch's lines target: OpenAI's, and `/v1/messages` for an Anthropic
 * Message Batch (`POST /v1/messages/batches`), whose lines are chat lines answered in
 * Anthropic's shape.
 */
export const batchEndpointSchema = z.enum([...openaiBatchEndpointSchema.options, '/v1/messages']);
export type BatchEndpoint = z.infer<typeof batchEndpointSchema>;

/** One problem found while validating an input file (OpenAI's `BatchError`). */
export interface BatchValidationError {
  code: string;
  message: string;
  param: string | null;
  /** 1-based line number in the input file, or null for a problem with the whole file. */
  line: number | null;
}

/**
 * Why a batch stopped before running all its lines: a cancel, its deadline, or its ingest
 * giving up (`failed`: the batch ends `failed`). Lines not yet run are skipped with it.
 */
export const batchStopReasonSchema = z.enum(['cancelled', 'expired', 'failed']);
export type BatchStopReason = z.infer<typeof batchStopReasonSchema>;

/** Everything stored about one batch (one Redis hash). Times are epoch milliseconds. */
export interface BatchRecord {
  id: string;
  tenant: string;
  endpoint: BatchEndpoint;
  inputFileId: string;
  completionWindow: string;
  status: BatchStatus;
  metadata?: Record<string, string>;
  createdAt: number;
  /** The end of `completion_window`, or the tighter `complete_by` when the batch gave one. */
  expiresAt: number;
  /**
   * The tier its lines may run on (`service_tier` on create, `auto` when it gave `complete_by`);
   * absent: standard, as before tiers existed.
   */
  serviceTier?: RequestedServiceTier;
  inProgressAt?: number;
  finalizingAt?: number;
  completedAt?: number;
  failedAt?: number;
  expiredAt?: number;
  cancellingAt?: number;
  cancelledAt?: number;
  stopReason?: BatchStopReason;
  counts: { total: number; completed: number; failed: number; skipped: number };
  /** Tokens of the batch's completed lines (snake_case only in its HTTP view, below). */
  usage: TokenCounts;
  errors?: BatchValidationError[];
  outputFileId?: string;
  errorFileId?: string;
  /** File ids reserved at creation, used by finalisation (so a retried finalise writes the same files). */
  reservedOutputFileId: string;
  reservedErrorFileId: string;
  /** True once every line is in the bulk queue (a retried ingest then does nothing). */
  linesEnqueued: boolean;
}

/** The OpenAI-compatible batch object (`object: 'batch'`, unix seconds). */
export interface BatchView {
  id: string;
  object: 'batch';
  endpoint: BatchEndpoint;
  errors: { object: 'list'; data: BatchValidationError[] } | null;
  input_file_id: string;
  completion_window: string;
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  };
  metadata: Record<string, string> | null;
}

function seconds(epochMs: number | undefined): number | null {
  return epochMs === undefined ? null : Math.floor(epochMs / 1000);
}

export function toBatchView(batch: BatchRecord): BatchView {
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    errors: batch.errors ? { object: 'list', data: batch.errors } : null,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status: batch.status,
    output_file_id: batch.outputFileId ?? null,
    error_file_id: batch.errorFileId ?? null,
    created_at: Math.floor(batch.createdAt / 1000),
    in_progress_at: seconds(batch.inProgressAt),
    expires_at: Math.floor(batch.expiresAt / 1000),
    finalizing_at: seconds(batch.finalizingAt),
    completed_at: seconds(batch.completedAt),
    failed_at: seconds(batch.failedAt),
    expired_at: seconds(batch.expiredAt),
    cancelling_at: seconds(batch.cancellingAt),
    cancelled_at: seconds(batch.cancelledAt),
    request_counts: {
      total: batch.counts.total,
      completed: batch.counts.completed,
      failed: batch.counts.failed,
    },
    usage: {
      input_tokens: batch.usage.inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: batch.usage.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: batch.usage.inputTokens + batch.usage.outputTokens,
    },
    metadata: batch.metadata ?? null,
  };
}

/** Parses a completion window such as `24h` (also `90m`, `30s` for short runs) into seconds. */
export function parseCompletionWindow(window: string): number | undefined {
  const match = /^(\d{1,6})(s|m|h)$/.exec(window);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1;
  const total = value * unit;
  return total >= 1 && total <= 7 * 24 * 3600 ? total : undefined;
}
