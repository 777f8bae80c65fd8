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
    /** Why generation stopped: `stop`, `length`, `tool_calls`, `content_filter`. */
    finish_reason?: string;
    /** The assistant's message as the OpenAI format has it, tool calls included. */
    message?: { role: 'assistant'; content: string | null; tool_calls?: ToolCallInput[] };
    [field: string]: unknown;
  };
  error?: { code: string; message: string };
  [field: string]: unknown;
}

/** A content part of a message, in the OpenAI Chat Completions shape `POST /v1/jobs` takes. */
export type ContentPartInput =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } }
  | { type: 'file'; file: { file_data?: string; filename?: string } };

/** A tool call the assistant made, as an earlier turn of the conversation. */
export interface ToolCallInput {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** One message of a conversation, in the OpenAI Chat Completions shape. */
export type ChatMessageInput =
  | { role: 'system' | 'developer'; content: string | ContentPartInput[]; name?: string }
  | { role: 'user'; content: string | ContentPartInput[]; name?: string }
  | {
      role: 'assistant';
      content?: string | ContentPartInput[] | null;
      name?: string;
      tool_calls?: ToolCallInput[];
      /** Claude thinking sent back with its signature (see docs/messages.md). */
      thinking_blocks?: Array<
        | { type: 'thinking'; thinking: string; signature: string }
        | { type: 'redacted_thinking'; data: string }
      >;
    }
  | { role: 'tool'; tool_call_id: string; content: string | ContentPartInput[] };

/** A function the model may call: name, description and JSON Schema parameters. */
export interface ToolInput {
  type: 'function';
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean;
  };
}

export interface SubmitJobRequest {
  messages?: ChatMessageInput[];
  /** Tools the model may call; the job's result carries its calls in `result.message.tool_calls`. */
  tools?: ToolInput[];
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };
  parallel_tool_calls?: boolean;
  response_format?:
    | { type: 'text' }
    | { type: 'json_object' }
    | {
        type: 'json_schema';
        json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean };
      };
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high';
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
export type ApiKeyScope =
  | 'jobs:write'
  | 'jobs:read'
  | 'jobs:content'
  | 'batches'
  | 'usage'
  | 'admin'
  | 'admin:read';

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
