import {
  anthropicCountTokensRequestSchema,
  anthropicMessagesRequestSchema,
  budgetSchema,
  cachePolicySchema,
  createBatchRequestSchema,
  createMessageBatchRequestSchema,
  filterPolicyPatchSchema,
  jobRequestSchema,
  openAIChatRequestSchema,
  openAICompletionsRequestSchema,
  openAIEmbeddingsRequestSchema,
  openAIResponsesRequestSchema,
  tenantFlowSchema,
  usageQuerySchema,
  webhookEndpointRequestSchema,
} from '@llmq/core';
import type { z } from 'zod';
import { retrieveQuerySchema } from '../openai-compat/read-retrieve-query';
import { inputItemsQuerySchema } from '../openai-compat/response-input-list';
import { createKeySchema, rotateKeySchema, updateKeySchema } from '../routes/admin-router';
import { fileListQuerySchema } from '../routes/files-router';
import { bulkJobsSchema } from '../routes/job-admin-router';
import { jobListQuerySchema } from '../routes/jobs-router';
import { anthropicModelListQuerySchema } from '../routes/models-router';

/** What the OpenAPI document says of one route method beyond what the router knows. */
export interface OperationNotes {
  summary: string;
  /** The JSON body the route validates (its zod schema, rendered as input JSON Schema). */
  body?: z.ZodType;
  /** The query string the route validates. */
  query?: z.ZodType;
  /** A non-JSON body: the multipart upload of `POST /v1/files`. */
  multipart?: boolean;
  /** A success answer that streams server-sent events (as well as, or instead of, JSON). */
  events?: boolean;
  /** The success status when it is not 200. */
  status?: number;
  /** The route creates work and honours an `Idempotency-Key` header (see docs/durability.md). */
  idempotent?: boolean;
}

/**
 * Notes per `METHOD /path` (Express path syntax, as the router table lists it). The document
 * is built from the app's real routes, so a route missing here still appears, with its method
 * and scope; the OpenAPI test fails until it has a summary.
 */
export const operationNotes: Record<string, OperationNotes> = {
  'POST /v1/jobs': {
    summary: 'Submit a prompt job; answers 202 with its id at once',
    body: jobRequestSchema,
    status: 202,
    idempotent: true,
  },
  'GET /v1/jobs': {
    summary:
      "The tenant's jobs, newest first: filters (status, model, lane, created range, metadata), cursor pages; prompts only with include=request and jobs:content",
    query: jobListQuerySchema,
  },
  'GET /v1/jobs/:id': {
    summary:
      "A job: status, result or error (a provider's error text only with jobs:content), timings, cost; while queued, its coarse queue position and estimated wait",
  },
  'DELETE /v1/jobs/:id': { summary: 'Cancel a queued or running job' },
  'GET /v1/jobs/:id/events': {
    summary: 'Status changes and token deltas as server-sent events (Last-Event-ID resumes)',
    events: true,
  },
  'POST /v1/jobs/:id/retry': { summary: 'Run a failed (dead-letter) job again', status: 202 },
  'GET /v1/jobs/:id/deliveries': { summary: "The job's webhook delivery log" },
  'GET /v1/dead-letters': { summary: "The tenant's failed jobs, newest first" },
  'POST /v1/chat/completions': {
    summary: 'OpenAI-compatible chat completion through the queue (`stream: true` for SSE)',
    body: openAIChatRequestSchema,
    events: true,
    idempotent: true,
  },
  'POST /v1/messages': {
    summary: 'Anthropic-compatible message through the queue (`stream: true` for SSE)',
    body: anthropicMessagesRequestSchema,
    events: true,
    idempotent: true,
  },
  'POST /v1/embeddings': {
    summary: 'OpenAI-compatible embeddings through the queue (micro-batched per model)',
    body: openAIEmbeddingsRequestSchema,
    idempotent: true,
  },
  'POST /v1/completions': {
    summary: 'OpenAI-compatible text completion through the queue (`stream: true` for SSE)',
    body: openAICompletionsRequestSchema,
    events: true,
    idempotent: true,
  },
  'POST /v1/messages/count_tokens': {
    summary: 'Anthropic-compatible input token count of a message request (nothing runs)',
    body: anthropicCountTokensRequestSchema,
  },
  'GET /v1/models': {
    summary:
      "The usable catalog models, in OpenAI's shape, or Anthropic's (paginated) with an `anthropic-version` header",
    query: anthropicModelListQuerySchema,
  },
  'GET /v1/models/:id': {
    summary:
      "A catalog model by id or alias, in OpenAI's or (with `anthropic-version`) Anthropic's shape",
  },
  'POST /v1/responses': {
    summary:
      'OpenAI Responses API through the queue: sync, streamed (`stream: true`) or durable background (`background: true`)',
    body: openAIResponsesRequestSchema,
    events: true,
    idempotent: true,
  },
  'GET /v1/responses/:id': {
    summary: 'A response as its job stands (`?stream=true&starting_after=N` replays its events)',
    query: retrieveQuerySchema,
    events: true,
  },
  'DELETE /v1/responses/:id': { summary: 'Delete a stored response (cancels it if unfinished)' },
  'POST /v1/responses/:id/cancel': { summary: 'Cancel a background response' },
  'GET /v1/responses/:id/input_items': {
    summary: "A response's input items, in OpenAI's list shape",
    query: inputItemsQuerySchema,
  },
  'POST /v1/estimate': {
    summary: 'Input tokens and cost of a request on each candidate model, before it runs',
    body: jobRequestSchema,
  },
  'GET /v1/usage': {
    summary: "The tenant's cost and tokens by model and/or day",
    query: usageQuerySchema,
  },
  'POST /v1/files': {
    summary: 'Upload a batch input file (multipart, `purpose=batch`, JSONL)',
    multipart: true,
    idempotent: true,
  },
  'GET /v1/files': {
    summary: "The tenant's files (`purpose`, `order`, cursor `after`, `limit`)",
    query: fileListQuerySchema,
  },
  'GET /v1/files/:id': { summary: 'A file object' },
  'DELETE /v1/files/:id': {
    summary: 'Delete a file (409 `file_in_use` while a batch made from it has not ended)',
  },
  'GET /v1/files/:id/content': { summary: "A file's content (JSONL)" },
  'POST /v1/batches': {
    summary: 'Create an OpenAI Batch API-compatible batch from an uploaded file',
    body: createBatchRequestSchema,
    idempotent: true,
  },
  'GET /v1/batches': { summary: "The tenant's batches, newest first (paginated)" },
  'GET /v1/batches/:id': { summary: 'A batch: status, request counts, output and error files' },
  'POST /v1/batches/:id/cancel': { summary: 'Cancel a batch: lines not yet started are skipped' },
  'POST /v1/messages/batches': {
    summary:
      'Create an Anthropic Message Batch (`requests: [{custom_id, params}]`), run on any provider',
    body: createMessageBatchRequestSchema,
    idempotent: true,
  },
  'GET /v1/messages/batches': {
    summary: "The tenant's Message Batches, newest first (`limit`, `after_id`, `before_id`)",
  },
  'GET /v1/messages/batches/:id': { summary: 'A Message Batch: processing status and counts' },
  'DELETE /v1/messages/batches/:id': {
    summary: 'Delete an ended Message Batch and its results',
  },
  'POST /v1/messages/batches/:id/cancel': {
    summary: 'Cancel a Message Batch: requests not yet started end `canceled`',
  },
  'GET /v1/messages/batches/:id/results': {
    summary: "An ended Message Batch's results (JSONL, one line per request)",
  },
  'POST /v1/webhook-endpoints': {
    summary:
      'Register a webhook endpoint for job and batch events, in llmq\'s format or OpenAI\'s (`format: "openai"`)',
    body: webhookEndpointRequestSchema,
    status: 201,
  },
  'GET /v1/webhook-endpoints': { summary: "The tenant's webhook endpoints" },
  'GET /v1/webhook-endpoints/:id': { summary: 'A webhook endpoint' },
  'DELETE /v1/webhook-endpoints/:id': { summary: 'Remove a webhook endpoint' },
  'GET /v1/webhook-endpoints/:id/secret': { summary: "An endpoint's signing secret" },
  'POST /v1/webhook-endpoints/:id/rotate': {
    summary: "Rotate an endpoint's signing secret (the old one keeps signing for a grace period)",
  },
  'GET /v1/webhook-secret': { summary: "The tenant's signing secret for per-job webhooks" },
  'POST /v1/webhook-secret/rotate': { summary: "Rotate the tenant's per-job webhook secret" },
  'POST /v1/webhook-deliveries/:id/retry': {
    summary: 'Deliver a webhook event again',
    status: 202,
  },
  'POST /v1/admin/keys': { summary: 'Create an API key', body: createKeySchema, status: 201 },
  'GET /v1/admin/keys': { summary: 'List API keys (never the keys themselves)' },
  'GET /v1/admin/keys/:id': { summary: 'An API key' },
  'PATCH /v1/admin/keys/:id': {
    summary: "Change a key's scopes, name or limits",
    body: updateKeySchema,
  },
  'DELETE /v1/admin/keys/:id': { summary: 'Revoke an API key' },
  'POST /v1/admin/keys/:id/rotate': {
    summary: 'Rotate an API key; the old one works for a grace period',
    body: rotateKeySchema,
    status: 201,
  },
  'GET /v1/admin/audit': { summary: 'The audit log, newest first' },
  'GET /v1/admin/tenants/:tenant/filter-policy': { summary: "A tenant's filter policy" },
  'PUT /v1/admin/tenants/:tenant/filter-policy': {
    summary: "Set a tenant's filter policy (a patch over the defaults)",
    body: filterPolicyPatchSchema,
  },
  'DELETE /v1/admin/tenants/:tenant/filter-policy': {
    summary: "Reset a tenant's filter policy to the defaults",
  },
  'GET /v1/admin/tenants/:tenant/budget': {
    summary: "A tenant's budgets, spend and reservations",
  },
  'PUT /v1/admin/tenants/:tenant/budget': {
    summary: "Set a tenant's daily and monthly budgets",
    body: budgetSchema,
  },
  'DELETE /v1/admin/tenants/:tenant/budget': { summary: "Remove a tenant's budgets" },
  'GET /v1/admin/tenants/:tenant/cache-policy': { summary: "A tenant's cache policy" },
  'PUT /v1/admin/tenants/:tenant/cache-policy': {
    summary: "Set a tenant's cache TTL, shared namespace and semantic settings",
    body: cachePolicySchema,
  },
  'DELETE /v1/admin/tenants/:tenant/cache-policy': {
    summary: "Reset a tenant's cache policy to the defaults",
  },
  'GET /v1/admin/tenants/:tenant/flow': {
    summary: "A tenant's lane weight and running-job cap",
  },
  'PUT /v1/admin/tenants/:tenant/flow': {
    summary: "Set a tenant's lane weight and running-job cap",
    body: tenantFlowSchema,
  },
  'DELETE /v1/admin/tenants/:tenant/flow': {
    summary: "Reset a tenant's flow settings (weight 1, no cap)",
  },
  'GET /v1/admin/tenants/:tenant/jobs': {
    summary: "A tenant's jobs with the explorer's filters (never prompts)",
    query: jobListQuerySchema.omit({ include: true }),
  },
  'POST /v1/admin/tenants/:tenant/jobs/cancel': {
    summary: "Cancel a tenant's queued jobs matching a filter (audited)",
    body: bulkJobsSchema,
  },
  'POST /v1/admin/tenants/:tenant/jobs/retry': {
    summary: "Retry a tenant's failed jobs matching a filter (audited)",
    body: bulkJobsSchema,
  },
  'GET /openapi.json': { summary: 'This document' },
  'GET /docs': {
    summary:
      'This document as an interactive reference for a browser (open in development; in production a key or an admin console session)',
  },
};
