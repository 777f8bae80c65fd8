import type { PromptOptimizationReport } from '../cost/optimize-prompt';
import type { FilterFinding } from '../filters/content-filter';
import type { ChatAnswer, TokenLogprob } from '../messages/chat-result';
import type { AssistantContentPart } from '../messages/content-part';
import type { FinishReason } from '../providers/language-model';
import type { AttemptRecord } from '../resilience/attempt-record';
import type { JobUsage } from '../resilience/usage-records';
import type { RoutingDecision } from '../routing/route-request';
import type { JobWebhook } from '../webhooks/webhook-event';
import type { EndpointAnswer } from './endpoint-job';
import type { JobFailure } from './job-failure';
import type { JobStatus } from './job-status';

/** Where the time went, in milliseconds. */
export interface JobTimings {
  /** From submission to the first time a worker started the job. */
  queue_wait_ms: number;
  /** Duration of the successful provider call. */
  provider_ms: number;
  /** From submission to the result being stored. */
  total_ms: number;
}

/** A tool call in OpenAI's chat shape (`message.tool_calls` of a job result). */
export interface JobToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** The outcome of a completed job. */
export interface JobResult {
  /** The answer's text parts joined ('' when the answer is only tool calls). */
  text: string;
  /** The assistant message in OpenAI's chat shape: text, and the tool calls when it made any. */
  message: { role: 'assistant'; content: string; tool_calls?: JobToolCall[] };
  /**
   * The answer's parts in llmq's provider-neutral model, in the order the model produced them:
   * `text`, `reasoning` (with Anthropic's `signature`, to send back next turn) and `tool-call`.
   */
  content?: AssistantContentPart[];
  /** `tool_calls` when the answer ends in tool calls the client should run. */
  finish_reason: FinishReason;
  /** The stop sequence that ended the answer, when the provider says which. */
  stop_sequence?: string;
  /** Choices 2…n of a request with `n` > 1, in the neutral model. */
  other_choices?: ChatAnswer[];
  /** Per-token log probabilities, when asked for (`logprobs`) and reported. */
  logprobs?: TokenLogprob[];
  /** A sync `/v1/embeddings` or `/v1/completions` job's answer (vectors, or one choice per prompt). */
  endpoint_answer?: EndpointAnswer;
  /** Catalog model id that answered. */
  model: string;
  /** The provider's own name for the model, as it reported it. */
  upstream_model: string;
  /** Provider account id (e.g. `openai`, `simulator-anthropic`). */
  provider: string;
  /** The model's deployment that answered, when the catalog gives it several. */
  deployment?: string;
  response_id?: string;
  /** The provider's `system_fingerprint` (OpenAI-format providers), when it sent one. */
  system_fingerprint?: string;
  /** The provider's `service_tier` the answer ran on (OpenAI-format providers), when it said. */
  service_tier?: string;
  /** Token usage of the answer (snake_case: part of the HTTP surface; see `toJobUsage`). */
  usage: JobUsage;
  timings: JobTimings;
  /** What the output filter found in `text` (after redaction); absent when nothing. */
  filter_findings?: FilterFinding[];
  /** Which model the router chose and why. */
  routing?: RoutingDecision;
  /** Every provider call the job made, in order, the successful one last among non-hedged. */
  attempts?: AttemptRecord[];
  /** What all those calls cost, USD (hedge losers included). */
  cost_usd?: number;
  /** True when the answer came from the exact cache (no provider call, no cost). */
  cached?: boolean;
  /** What the cached answer cost when it was made, USD: the spend this hit saved. */
  saved_cost_usd?: number;
  /** Which cache answered: `exact`, or `semantic` with the cosine similarity of the prompts. */
  cache?: { type: 'exact' } | { type: 'semantic'; score: number };
  /**
   * Speculative jobs only: `initial` while the fast answer stands (upgraded or not), `final`
   * once the upgrade model's answer replaced it.
   */
  stage?: 'initial' | 'final';
  /** Speculative jobs only: true while the upgrade model's answer may still replace this one. */
  upgrade_pending?: boolean;
  /** On a `final` result: the initial answer it replaced. */
  initial?: JobResult;
  /** On an `initial` result that will not be upgraded: why (the upgrade call's failure, a cancel). */
  upgrade_error?: JobFailure;
}

/** Everything stored about one job (one Redis hash). Times are epoch milliseconds. */
export interface JobRecord {
  id: string;
  tenant: string;
  status: JobStatus;
  /** The model as requested, after alias resolution. */
  model: string;
  priority: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** How many times a worker started the job (retries and stalled-job recovery included). */
  attempts: number;
  metadata?: Record<string, string>;
  result?: JobResult;
  error?: JobFailure;
  /** The last retryable error, while the job waits for another attempt. */
  lastError?: JobFailure;
  /** How many times a result was written; 1 for every completed job (exactly-once evidence). */
  resultWrites: number;
  /** What the input filter found (and redacted or flagged) before the job was queued. */
  inputFindings?: FilterFinding[];
  /** The job's own webhook, if it asked for one. */
  webhook?: JobWebhook;
  /** Whether the job's end is put in the webhook outbox (own webhook or tenant endpoints). */
  notify?: boolean;
  /** What the request's `optimize` changed in the prompt before it was queued. */
  optimization?: PromptOptimizationReport;
  /** The lane the job was queued in (absent on records written before lanes were recorded). */
  lane?: JobLane;
  /** Not started by then (epoch ms), the job fails `deadline_exceeded` (the request's `start_by`). */
  startBy?: number;
  /**
   * The API surface the job came in through when it has its own ids and webhook events:
   * `responses` for `POST /v1/responses` (id `resp_…`, `response.*` events in OpenAI's shape).
   */
  surface?: 'responses';
}

/** What a new job's record starts with. */
export type NewJobRecord = Pick<
  JobRecord,
  | 'id'
  | 'tenant'
  | 'model'
  | 'priority'
  | 'createdAt'
  | 'metadata'
  | 'inputFindings'
  | 'webhook'
  | 'notify'
  | 'optimization'
  | 'surface'
  | 'lane'
  | 'startBy'
> & {
  /**
   * Pub/sub channel announcing the job's end to the API process that waits for it (see
   * `streaming/job-end-watcher.ts`); stored as `ends_channel`, never read back into the record.
   */
  endsChannel?: string;
};

/** The lanes a job record can name (see docs/limits-and-lanes.md). */
export const jobLanes = ['interactive', 'standard', 'bulk'] as const;
export type JobLane = (typeof jobLanes)[number];
