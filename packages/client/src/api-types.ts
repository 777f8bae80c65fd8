/** The shapes the llmq API answers with (snake_case, as on the wire). */

export type JobStatus = 'queued' | 'active' | 'completed' | 'failed' | 'cancelled';

export interface JobView {
  id: string;
  object: 'job';
  status: JobStatus;
  model?: string;
  result?: {
    text: string;
    model: string;
    provider: string;
    usage: Record<string, number>;
    /** Speculative jobs: `initial` (the fast answer) or `final` (the upgrade). */
    stage?: 'initial' | 'final';
    /** Speculative jobs: true while the upgrade may still replace this answer. */
    upgrade_pending?: boolean;
    /** Why a speculative job's initial answer was not upgraded. */
    upgrade_error?: { code: string; message: string };
    [field: string]: unknown;
  };
  error?: { code: string; message: string };
  [field: string]: unknown;
}

export interface SubmitJobRequest {
  messages?: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
  prompt?: string;
  model?: string;
  max_tokens?: number;
  temperature?: number;
  priority?: number;
  metadata?: Record<string, string>;
  /** Speculative execution: a fast initial answer, then an upgrade (async jobs only). */
  speculative?: { fast_model?: string; upgrade_model?: string };
  /** Prompt optimisation; what changed is reported on the job as `optimization`. */
  optimize?: { trim_history?: boolean; max_input_tokens?: number; normalize_whitespace?: boolean };
}

/** Sums of one group of `GET /v1/usage`. */
export interface UsageAmounts {
  cost_usd: number;
  cost_nano_usd: number;
  input_tokens: number;
  cached_input_tokens: number;
  output_tokens: number;
  calls: number;
  cache_hits: number;
  saved_cost_usd: number;
  saved_tokens: number;
}

export interface UsageReport {
  object: 'usage.report';
  start: string;
  end: string;
  group_by: Array<'model' | 'day'>;
  data: Array<UsageAmounts & { day?: string; model?: string }>;
  totals: UsageAmounts;
}

/** `POST /v1/estimate`: cost per candidate model, before anything runs. */
export interface CostEstimate {
  object: 'estimate';
  model: string;
  input_tokens: number;
  max_cost_usd: number;
  candidates: Array<{
    model: string;
    role: 'primary' | 'fallback' | 'hedge';
    input_tokens: number;
    input_cost_usd: number;
    max_output_tokens: number;
    max_output_cost_usd: number;
    max_cost_usd: number;
    [field: string]: unknown;
  }>;
  [field: string]: unknown;
}

/** A tenant's budgets, USD (null: no limit; absent: the server default). */
export interface BudgetLimits {
  daily_hard_usd?: number | null;
  daily_soft_usd?: number | null;
  monthly_hard_usd?: number | null;
  monthly_soft_usd?: number | null;
}

export interface BudgetView {
  object: 'budget';
  tenant: string;
  budget: BudgetLimits;
  effective: Required<BudgetLimits>;
  spent_today_usd: number;
  spent_this_month_usd: number;
  reserved_usd: number;
}

export interface FileView {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at: number;
  filename: string;
  purpose: 'batch' | 'batch_output';
  status: 'processed';
}

export type BatchStatus =
  | 'validating'
  | 'failed'
  | 'in_progress'
  | 'finalizing'
  | 'completed'
  | 'expired'
  | 'cancelling'
  | 'cancelled';

export const finalBatchStatuses: readonly BatchStatus[] = [
  'failed',
  'completed',
  'expired',
  'cancelled',
];

export interface BatchView {
  id: string;
  object: 'batch';
  endpoint: string;
  status: BatchStatus;
  input_file_id: string;
  output_file_id: string | null;
  error_file_id: string | null;
  completion_window: string;
  created_at: number;
  in_progress_at: number | null;
  completed_at: number | null;
  errors: {
    object: 'list';
    data: Array<{ code: string; message: string; line: number | null }>;
  } | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  [field: string]: unknown;
}

export interface CreateBatchRequest {
  input_file_id: string;
  endpoint: '/v1/chat/completions' | '/v1/embeddings' | '/v1/completions';
  completion_window: string;
  metadata?: Record<string, string>;
}

export interface ListPage<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** The scopes a key can carry (`admin` implies `admin:read`). */
export type ApiKeyScope = 'jobs:write' | 'jobs:read' | 'batches' | 'usage' | 'admin' | 'admin:read';

/** `POST /v1/admin/keys`. */
export interface CreateKeyRequest {
  tenant: string;
  scopes: ApiKeyScope[];
  name?: string;
  /** ISO time after which the key stops working. */
  expires_at?: string;
}

/** An API key as the admin API shows it: never its secret, except once at creation. */
export interface ApiKeyView {
  id: string;
  tenant: string;
  scopes: ApiKeyScope[];
  name?: string | null;
  created_at: string;
  last_used_at?: string | null;
  revoked_at?: string | null;
  expires_at?: string | null;
  [field: string]: unknown;
}

/** `GET /v1/admin/keys`. */
export interface ApiKeyList {
  object: 'list';
  data: ApiKeyView[];
}

/** `GET /v1/admin/audit`. */
export interface AuditPage {
  object: 'list';
  data: Array<Record<string, unknown>>;
  next_before: string | null;
}
