import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';
import type { ModelEntry } from '../routing/model-catalog';
import { roundUsd } from '../routing/model-pricing';
import type { AttemptRecord } from './attempt-record';

/**
 * What `callModel` asks just before a provider call: record it as started. The promise
 * resolves once the record is in Redis (so a crash from then on is counted) to a function that
 * marks the call ended.
 */
export interface CallRecorder {
  begin(entry: ModelEntry, startedAt: number): Promise<() => void>;
}

/** A call found started and never ended, with the id its record is stored under. */
export interface InterruptedCall {
  id: string;
  attempt: AttemptRecord;
}

export interface CallJournalOptions {
  /** How long a call's record is kept if nothing ends it, seconds (default 7 days). */
  ttlSeconds?: number;
  /** Called when marking a call ended fails (it is then counted as interrupted: harmless). */
  onError?: (error: unknown) => void;
}

/**
 * A write-ahead record of provider calls: each call is written to its job's open-calls hash
 * before it is made and removed when it ends. A worker SIGKILLed mid-call leaves its record
 * behind, so the job's next run finds the call (which the provider probably billed) and counts
 * it: in the job's attempts, in the cost ledger at an estimated cost, and in
 * `llm_provider_calls_reexecuted_total`. Costs one awaited write per call; the removal is not
 * awaited.
 */
export class CallJournal {
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: CallJournalOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
  }

  /**
   * The recorder of one job's calls. `inputTokens` (the routed prompt's estimate) prices a call
   * that never reports its usage: its prompt at the model's input price.
   */
  forJob(jobId: string, inputTokens: number): CallRecorder {
    const key = this.keys.jobOpenCalls(jobId);
    return {
      begin: async (entry, startedAt) => {
        const id = `${startedAt}-${randomUUID().slice(0, 8)}`;
        const attempt = interruptedAttempt(entry, startedAt, inputTokens);
        await this.redis
          .multi()
          .hset(key, id, JSON.stringify(attempt))
          .expire(key, this.ttlSeconds)
          .exec();
        return () => {
          this.redis.hdel(key, id).catch((error: unknown) => this.options.onError?.(error));
        };
      },
    };
  }

  /** The job's calls that started and never ended, oldest first. */
  async interrupted(jobId: string): Promise<InterruptedCall[]> {
    const open = await this.redis.hgetall(this.keys.jobOpenCalls(jobId));
    return Object.entries(open)
      .map(([id, text]) => ({ id, attempt: JSON.parse(text) as AttemptRecord }))
      .sort((a, b) => a.attempt.started_at - b.attempt.started_at);
  }

  /** Forgets calls once they are counted in the job's own attempts. */
  async forget(jobId: string, calls: readonly InterruptedCall[]): Promise<void> {
    if (calls.length === 0) return;
    await this.redis.hdel(this.keys.jobOpenCalls(jobId), ...calls.map((call) => call.id));
  }
}

/** The attempt a call becomes if it never ends: billed for its prompt, flagged as an estimate. */
function interruptedAttempt(
  entry: ModelEntry,
  startedAt: number,
  inputTokens: number,
): AttemptRecord {
  return {
    provider: entry.provider,
    model: entry.id,
    outcome: 'interrupted',
    started_at: startedAt,
    latency_ms: 0,
    cost_usd: roundUsd((inputTokens * entry.pricing.input) / 1_000_000),
    cost_estimated: true,
    usage: { input_tokens: inputTokens, cached_input_tokens: 0, output_tokens: 0 },
  };
}

/**
 * The attempts of a job's earlier runs with its interrupted calls added, each once: a call
 * already carried in `previous` (counted by a run that then died too) is not added again.
 */
export function withInterruptedCalls(
  previous: readonly AttemptRecord[],
  interrupted: readonly InterruptedCall[],
): AttemptRecord[] {
  const known = new Set(
    previous
      .filter((attempt) => attempt.outcome === 'interrupted')
      .map((attempt) => `${attempt.model}@${attempt.started_at}`),
  );
  return [
    ...previous,
    ...interrupted
      .map((call) => call.attempt)
      .filter((attempt) => !known.has(`${attempt.model}@${attempt.started_at}`)),
  ];
}
