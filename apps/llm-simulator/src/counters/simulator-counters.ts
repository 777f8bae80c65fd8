import type { FaultKind } from '../faults/fault-kind';

/** Request headers the simulator remembers, so tests can tie calls to jobs and attempts. */
export interface TracingHeaders {
  'x-llmq-job-id'?: string;
  'x-llmq-attempt'?: string;
  /** W3C trace context of the caller's span, so tests can see a trace reach the provider. */
  traceparent?: string;
}

/** One call to a model route (`/v1/chat/completions`, `/v1/completions`, `/v1/embeddings`, `/v1/messages`). */
export interface RecordedRequest {
  /** When the request arrived, in ms since the epoch. */
  at: number;
  /** The route's path, e.g. `/v1/chat/completions`. */
  route: string;
  /** The requested model; `''` when the body could not be read. */
  model: string;
  /** HTTP status of the answer; 0 for a `hang` (no answer). `cut-stream` and `malformed` are 200. */
  status: number;
  /** The injected fault, from a header or the model's profile. */
  fault?: FaultKind;
  /** `flex` for a call made with `service_tier: "flex"`. */
  serviceTier?: 'flex';
  /** True when flex capacity was short and the call was refused with 429. */
  flexRefused?: true;
  /** The limit that rejected the request with 429, when `rpm`/`tpm` did. */
  limitedBy?: 'rpm' | 'tpm';
  stream: boolean;
  /** Prompt plus completion tokens the call was charged against `tpm` (answered calls only). */
  tokens?: number;
  /** Prompts or inputs in the call (1 for chat and messages); 0 when the body was invalid. */
  inputCount: number;
  headers: TracingHeaders;
}

/** What the simulator has served since it started or was last reset. */
export interface SimulatorCounters {
  /** Calls to model routes, whatever their outcome. */
  total: number;
  /** Calls per route path. */
  byRoute: Record<string, number>;
  /** Calls per requested model. */
  byModel: Record<string, number>;
  /** Calls per HTTP status (`'0'` for hangs). */
  byStatus: Record<string, number>;
  /** Prompt tokens of calls answered 200. */
  inputTokens: number;
  /** Completion tokens of calls answered 200. */
  outputTokens: number;
  /** Injected faults per kind. */
  faults: Record<string, number>;
  /** Calls rejected with 429 by a model's `rpm`/`tpm` limit. */
  rateLimited: number;
  /** The latest calls, oldest first (at most `RECENT_REQUEST_CAPACITY`). */
  recent: RecordedRequest[];
}
