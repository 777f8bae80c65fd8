import type { z } from 'zod';
import type { SseEvent } from '../server/sse-event';
import type { Dialect } from './dialect';

/** A request's complete answer, worked out before any fault or delay applies. */
export interface ModelAnswer {
  stream: boolean;
  /** Prompts or inputs in the call. */
  inputCount: number;
  inputTokens: number;
  outputTokens: number;
  /** The non-streamed JSON body; only called when `stream` is false. */
  renderBody(): string;
  /** The streamed events, terminating event included; only called when `stream` is true. */
  renderEvents(): SseEvent[];
}

/**
 * One model endpoint: how its body is validated and answered. Auth, faults, limits, latency
 * and counting are the same for all and live in `handleModelCall`.
 */
export interface ModelRoute<Request extends { model: string }> {
  /** The path, e.g. `/v1/chat/completions`; also the route's name in the counters. */
  readonly path: string;
  readonly dialect: Dialect;
  readonly requestSchema: z.ZodType<Request>;
  /** The answer to a valid request; deterministic apart from ids and timestamps. */
  answer(request: Request): ModelAnswer;
}
