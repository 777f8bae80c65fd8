import { createWriteStream, openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type {
  ApiKeyList,
  ApiKeyView,
  AuditPage,
  BatchView,
  BudgetLimits,
  BudgetView,
  CostEstimate,
  CreateBatchRequest,
  CreateKeyRequest,
  FileView,
  JobView,
  ListPage,
  SubmitJobRequest,
  UsageReport,
} from './api-types';
import { LlmqError } from './llmq-error';

export interface LlmqClientOptions {
  /** Where the API answers, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** The API key sent as `Authorization: Bearer <key>`. */
  apiKey: string | undefined;
  /** Per-request timeout, ms (default 60,000). */
  timeoutMs?: number;
}

/** A typed client for the llmq HTTP API (jobs, files, batches). */
export class LlmqClient {
  private readonly baseUrl: string;

  constructor(private readonly options: LlmqClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  submitJob(request: SubmitJobRequest, idempotencyKey?: string): Promise<JobView> {
    return this.json(
      'POST',
      '/v1/jobs',
      request,
      idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
    );
  }

  getJob(jobId: string): Promise<JobView> {
    return this.json('GET', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  cancelJob(jobId: string): Promise<JobView> {
    return this.json('DELETE', `/v1/jobs/${encodeURIComponent(jobId)}`);
  }

  /** The tenant's cost and tokens (`start`/`end`: `YYYY-MM-DD` or unix seconds, inclusive). */
  getUsage(
    query: { start?: string; end?: string; groupBy?: Array<'model' | 'day'> } = {},
  ): Promise<UsageReport> {
    const search = new URLSearchParams();
    if (query.start !== undefined) search.set('start', query.start);
    if (query.end !== undefined) search.set('end', query.end);
    if (query.groupBy?.length) search.set('group_by', query.groupBy.join(','));
    const suffix = search.size > 0 ? `?${search}` : '';
    return this.json('GET', `/v1/usage${suffix}`);
  }

  /** Input tokens and cost per candidate model of a job request; nothing is queued. */
  estimate(request: SubmitJobRequest): Promise<CostEstimate> {
    return this.json('POST', '/v1/estimate', request);
  }

  /** Uploads a JSONL file for a batch, streamed from disk. */
  async uploadBatchFile(path: string): Promise<FileView> {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', await openAsBlob(path), basename(path));
    return this.json('POST', '/v1/files', form);
  }

  getFile(fileId: string): Promise<FileView> {
    return this.json('GET', `/v1/files/${encodeURIComponent(fileId)}`);
  }

  /** Streams a file's content to `destination` on disk. */
  async downloadFile(fileId: string, destination: string): Promise<void> {
    const response = await this.send('GET', `/v1/files/${encodeURIComponent(fileId)}/content`);
    if (!response.body) throw new LlmqError('invalid_response', 'the file content is missing');
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      createWriteStream(destination),
    );
  }

  createBatch(request: CreateBatchRequest): Promise<BatchView> {
    return this.json('POST', '/v1/batches', request);
  }

  getBatch(batchId: string): Promise<BatchView> {
    return this.json('GET', `/v1/batches/${encodeURIComponent(batchId)}`);
  }

  listBatches(query: { limit?: number; after?: string } = {}): Promise<ListPage<BatchView>> {
    const search = new URLSearchParams();
    if (query.limit !== undefined) search.set('limit', String(query.limit));
    if (query.after !== undefined) search.set('after', query.after);
    const suffix = search.size > 0 ? `?${search}` : '';
    return this.json('GET', `/v1/batches${suffix}`);
  }

  cancelBatch(batchId: string): Promise<BatchView> {
    return this.json('POST', `/v1/batches/${encodeURIComponent(batchId)}/cancel`);
  }

  // ---- admin (needs a key with the `admin` scope; reads accept `admin:read`) ----

  /** Creates an API key; the answer carries the secret `key`, shown this once. */
  createKey(request: CreateKeyRequest): Promise<ApiKeyView & { key: string }> {
    return this.json('POST', '/v1/admin/keys', request);
  }

  listKeys(tenant?: string): Promise<ApiKeyList> {
    const suffix = tenant ? `?tenant=${encodeURIComponent(tenant)}` : '';
    return this.json('GET', `/v1/admin/keys${suffix}`);
  }

  getKey(keyId: string): Promise<ApiKeyView> {
    return this.json('GET', `/v1/admin/keys/${encodeURIComponent(keyId)}`);
  }

  revokeKey(keyId: string): Promise<ApiKeyView> {
    return this.json('DELETE', `/v1/admin/keys/${encodeURIComponent(keyId)}`);
  }

  /** Issues a new key for the same tenant and scopes; the old one works for `graceSeconds`. */
  rotateKey(
    keyId: string,
    graceSeconds?: number,
  ): Promise<ApiKeyView & { key: string; previous: ApiKeyView }> {
    return this.json(
      'POST',
      `/v1/admin/keys/${encodeURIComponent(keyId)}/rotate`,
      graceSeconds === undefined ? {} : { grace_seconds: graceSeconds },
    );
  }

  getBudget(tenant: string): Promise<BudgetView> {
    return this.json('GET', `/v1/admin/tenants/${encodeURIComponent(tenant)}/budget`);
  }

  /** Replaces a tenant's budgets (fields left out take the server defaults). */
  setBudget(tenant: string, budget: BudgetLimits): Promise<BudgetView> {
    return this.json('PUT', `/v1/admin/tenants/${encodeURIComponent(tenant)}/budget`, budget);
  }

  listAudit(query: { limit?: number; before?: string } = {}): Promise<AuditPage> {
    const search = new URLSearchParams();
    if (query.limit !== undefined) search.set('limit', String(query.limit));
    if (query.before !== undefined) search.set('before', query.before);
    const suffix = search.size > 0 ? `?${search}` : '';
    return this.json('GET', `/v1/admin/audit${suffix}`);
  }

  private async json<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const response = await this.send(method, path, body, headers);
    try {
      return (await response.json()) as T;
    } catch {
      throw new LlmqError(
        'invalid_response',
        `${method} ${path} answered with a body that is not JSON`,
      );
    }
  }

  private async send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    if (!this.options.apiKey) {
      throw new LlmqError('missing_api_key', 'no API key: set LLMQ_API_KEY or pass --api-key');
    }
    const isForm = body instanceof FormData;
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.options.apiKey}`,
          ...(body !== undefined && !isForm ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
      });
    } catch (error) {
      const cause =
        error instanceof Error && error.cause instanceof Error ? error.cause.message : '';
      throw new LlmqError(
        'server_unreachable',
        `cannot reach the llmq API at ${this.baseUrl}${cause ? ` (${cause})` : ''}`,
      );
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let error: { code?: string; message?: string; details?: unknown } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      error = undefined;
    }
    throw new LlmqError(
      error?.code ?? 'http_error',
      error?.message ?? `${method} ${path} answered ${response.status}`,
      response.status,
      error?.details,
    );
  }
}
