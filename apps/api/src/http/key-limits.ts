import {
  ClientError,
  type GatewayRateLimiter,
  type KeyConcurrencyLimiter,
  type Logger,
  TokenTally,
} from '@llmq/core';
import type { RequestHandler } from 'express';
import type { ApiPrincipal } from './api-keys';

export interface KeyLimitOptions {
  /** The sliding window shared with the request-rate limit; token counts use `tokens:<key>`. */
  limiter: GatewayRateLimiter;
  concurrency: KeyConcurrencyLimiter;
  logger: Logger;
}

/** The routes that create a job (async, sync or streamed): the ones these limits count. */
const jobCreatingPaths = new Set([
  '/v1/jobs',
  '/v1/chat/completions',
  '/v1/messages',
  '/v1/responses',
]);

/** Body fields that cap a request's output tokens, in the dialects the routes speak. */
const outputCapFields = ['max_tokens', 'max_completion_tokens', 'max_output_tokens'] as const;

/**
 * Tokens a request body asks for: o200k tokens of every string in it (prompt, messages,
 * system, tool definitions; names and roles add a few) plus its output cap, walked without
 * recursion (a deeply nested body cannot overflow the stack), counted in linear time.
 */
export function estimateBodyTokens(body: unknown): number {
  const tally = new TokenTally();
  let tokens = 0;
  const pending: unknown[] = [body];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') tokens += tally.count(value);
    else if (value !== null && typeof value === 'object') {
      // One push per item: spreading 300,000 items into one call overflows the stack.
      for (const item of Array.isArray(value) ? value : Object.values(value)) pending.push(item);
    }
  }
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    for (const field of outputCapFields) {
      const cap = record[field];
      if (typeof cap === 'number' && Number.isFinite(cap) && cap > 0) tokens += Math.ceil(cap);
    }
  }
  return tokens;
}

/**
 * A key's `max_concurrent_jobs` and `tokens_per_minute` on the job-creating routes, after the
 * body is parsed, shared by every API instance through Redis. Over either: `429
 * rate_limited` naming the limit in its message and in `details.limit_name`. A place taken
 * for an async job passes to the job (held until it ends); a sync or streamed request holds
 * it until its answer is sent.
 */
export function keyLimits(options: KeyLimitOptions): RequestHandler {
  return async (request, response, next) => {
    const principal = response.locals.principal as ApiPrincipal | undefined;
    const limits = principal?.limits;
    if (
      !principal ||
      !limits ||
      request.method !== 'POST' ||
      !jobCreatingPaths.has(request.path) ||
      (limits.max_concurrent_jobs === undefined && limits.tokens_per_minute === undefined)
    ) {
      next();
      return;
    }
    const slot = await takePlace(options, principal.keyId, limits.max_concurrent_jobs);
    try {
      if (limits.tokens_per_minute !== undefined)
        await spendTokens(options, principal.keyId, limits.tokens_per_minute, request.body);
    } catch (error) {
      await slot?.release();
      throw error;
    }
    if (slot) {
      response.once('close', () => {
        const jobId = response.locals.jobId;
        const handOver =
          response.statusCode === 202 && typeof jobId === 'string'
            ? slot.bind(jobId)
            : slot.release();
        // The place lapses by itself after the grace time if Redis cannot take this now.
        handOver.catch((error: unknown) =>
          options.logger.warn('key-concurrency-release-failed', {
            event: 'key-concurrency-release-failed',
            error: error instanceof Error ? error.message : String(error),
          }),
        );
      });
    }
    next();
  };
}

async function takePlace(options: KeyLimitOptions, keyId: string, limit: number | undefined) {
  if (limit === undefined) return undefined;
  const outcome = await options.concurrency.acquire(keyId, limit);
  if (outcome.ok) return outcome.slot;
  throw new ClientError(
    'rate_limited',
    `this API key may have ${limit} jobs queued or running at once (max_concurrent_jobs); wait for one to finish`,
    { limit_name: 'max_concurrent_jobs', limit, active: outcome.active },
  );
}

async function spendTokens(
  options: KeyLimitOptions,
  keyId: string,
  limit: number,
  body: unknown,
): Promise<void> {
  const tokens = estimateBodyTokens(body);
  const decision = await options.limiter.consume(`tokens:${keyId}`, limit, { cost: tokens });
  if (decision.allowed) return;
  const windowSeconds = Math.round(decision.windowMs / 1000);
  const details = { limit_name: 'tokens_per_minute', limit, requested_tokens: tokens };
  if (decision.neverFits) {
    throw new ClientError(
      'rate_limited',
      `this request (about ${tokens} tokens) alone exceeds the key's tokens_per_minute of ${limit}`,
      details,
      { 'x-should-retry': 'false' },
    );
  }
  const retryAfter = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  throw new ClientError(
    'rate_limited',
    `this API key may use ${limit} tokens per ${windowSeconds} s (tokens_per_minute) and this request asks about ${tokens}; retry in ${retryAfter} s`,
    { ...details, remaining_tokens: decision.remaining, retry_after_seconds: retryAfter },
    { 'Retry-After': String(retryAfter) },
  );
}
