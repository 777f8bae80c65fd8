import type { z } from 'zod';
import type { ModelProfile } from '../profiles/model-profile';
import type { PromptCache } from '../prompt-cache/prompt-cache';
import type { SseEvent } from '../server/sse-event';
import type { Dialect, SimulatedError } from './dialect';

/** A request's complete answer, worked out before any fault or delay applies. */
export interface ModelAnswer {
  stream: boolean;
  /** Asked for OpenAI's flex tier: may be refused with 429, answers later (`profile.flex`). */
  flex?: boolean;
  /** Prompts or inputs in the call. */
  inputCount: number;
  inputTokens: number;
  outputTokens: number;
  /** The non-streamed JSON body; only called when `stream` is false. */
  renderBody(): string;
  /** The streamed events, terminating event included; only called when `stream` is true. */
  renderEvents(): SseEvent[];
  /** Called once the call is admitted and will be answered (e.g. to fill the prompt cache). */
  onAnswered?(): void;
}

/** A valid request the model refuses (a capability it lacks, a bad tool-result id, …). */
export interface RefusedRequest {
  refused: SimulatedError;
}

/** What a route may consult besides the request. */
export interface AnswerContext {
  /** The profile of the requested model (capabilities included). */
  profile: ModelProfile;
  promptCache: PromptCache;
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
  answer(request: Request, context: AnswerContext): ModelAnswer | RefusedRequest;
}
