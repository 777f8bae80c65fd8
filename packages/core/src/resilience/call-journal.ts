import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ModelEntry } from '../catalog/model-catalog';
import { roundUsd } from '../catalog/model-pricing';
import type { RedisKeys } from '../redis/redis-keys';
import type { AttemptRecord } from './attempt-record';
import { closeJournalScript, openCallScript } from './call-journal-scripts';

/**
 * What `callModel` asks just before a provider call: record it as started. The promise
 * resolves once the record is in Redis, so a crash from then on is counted.
 */
export interface CallRecorder {
  begin(entry: ModelEntry, startedAt: number): Promise<void>;
  /**
   * The record {@link begin} would write, for a script that writes it in the same step as the
   * check that lets the call go ahead (the circuit breaker's acquire): one command instead of
   * two, and nothing to drop when the call is refused.
   */
  openCall(entry: ModelEntry, startedAt: number): OpenCall;
  /**
   * Present while the run's job-store start may still be on its way (sent, its reply not
   * read): resolves once the start let the run in, throws {@link JobNotStartedError} when it
   * refused. Until then {@link openCall} carries a gate (the job's record), so a call is let
   * through only once the start has, and {@link begin} waits for it.
   */
  whenStarted?(): Promise<void>;
  /**
   * Takes back the record of a call a gated acquire wrote but that is not made (its run's
   * start refused or failed, see {@link whenStarted}). Present with {@link whenStarted}.
   */
  drop?(call: OpenCall): Promise<void>;
}

/**
 * A call asked for by a run whose job-store start refused it (cancelled, already ended,
 * capped, past its start deadline): nothing was called, recorded or taken.
 */
export class JobNotStartedError extends Error {
  readonly code = 'job_not_started';

  constructor(jobId: string) {
    super(`job ${jobId} was not started by the job store`);
    this.name = 'JobNotStartedError';
  }
}

/** A call's record as a script writes it to its job's journal (see {@link CallRecorder.openCall}). */
export interface OpenCall {
  /** The job's journal (open-calls hash). */
  journal: string;
  /** The field the record is stored under. */
  id: string;
  /** The record: an `interrupted` attempt, JSON. */
  attempt: string;
  /** The journal's lifetime, seconds. */
  ttlSeconds: number;
  /**
   * The job's record, while the run's start may not have run yet (see
   * {@link CallRecorder.whenStarted}): the record is written, and the call let through, only
   * if it says `active`. Sent on the same connection right behind the start, the record says
   * so exactly when the start let this run in.
   */
  gate?: string;
}

/** A call found started and never ended, with the id its record is stored under. */
export interface InterruptedCall {
  id: string;
  attempt: AttemptRecord;
}

/**
 * What a job's final transition needs to close the job's journal in the same step (see
 * `JobStore.complete` and `JobStore.fail`), made by {@link CallJournal.closing}.
 */
export interface JournalClose {
  /** The job's journal (open-calls hash) and its late-calls list. */
  keys: [string, string];
  /** How long the late-calls list is kept, seconds. */
  lifetimeSeconds: number;
  /**
   * Called once the transition closed the journal (it ended the job), with the models of the
   * calls no stored attempt holds (now in the late-calls list; usually none).
   */
  onClosed(lateModels: string[]): void;
}

export interface CallJournalOptions {
  /** How long a job's journal (and its late-calls list) is kept, seconds (default 1 day). */
  ttlSeconds?: number;
}

/**
 * A write-ahead record of provider calls: each call is written to its job's journal before it
 * is made, and the journal is dropped once the job has ended (its final transition stored
 * every attempt). A run that dies before storing its attempts (a worker SIGKILLed mid-call,
 * or after the call but before the result was written) leaves its calls behind; the job's
 * next run adds those the job's stored attempts do not already hold, as `interrupted` attempts
 * billed for their prompt (an estimate: the provider probably billed them, nobody saw their
 * usage), and counts them in `llm_provider_calls_reexecuted_total`. A call of a run that lost
 * the race to end the job (two runs at once) lands in the job's late-calls list when the journal
 * is closed. Costs one awaited write per call, and one unawaited script per run unless the
 * run's final transition closes the journal itself (see {@link CallJournal.closing}).
 */
export class CallJournal {
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: CallJournalOptions = {},
  ) {
    this.ttlSeconds = options.ttlSeconds ?? 24 * 3600;
  }

  /**
   * The recorder of one job's calls. `inputTokens` (the routed prompt's estimate) prices a call
   * that never reports its usage: its prompt at the model's input price. `started`, for a run
   * whose job-store start was sent without waiting for it: true once the start let the run in,
   * false when it refused (see {@link CallRecorder.whenStarted}).
   */
  forJob(jobId: string, inputTokens: number, started?: Promise<boolean>): CallRecorder {
    const key = this.keys.jobOpenCalls(jobId);
    let gate = started ? this.keys.job(jobId) : undefined;
    const openCall = (entry: ModelEntry, startedAt: number): OpenCall => {
      const call: OpenCall = {
        journal: key,
        id: `${startedAt}-${randomUUID().slice(0, 8)}`,
        attempt: interruptedAttemptJson(entry, startedAt, inputTokens),
        ttlSeconds: this.ttlSeconds,
      };
      if (gate !== undefined) call.gate = gate;
      return call;
    };
    const whenStarted = started
      ? async () => {
          if (!(await started)) throw new JobNotStartedError(jobId);
        }
      : undefined;
    // Once the start let the run in, its calls need no gate. Registered before any caller
    // awaits `started`, so the gate is off by the time `whenStarted` returns.
    started?.then(
      (yes) => {
        if (yes) gate = undefined;
      },
      () => undefined,
    );
    return {
      openCall,
      begin: async (entry, startedAt) => {
        await whenStarted?.();
        const { id, attempt } = openCall(entry, startedAt);
        await openCallScript.run(this.redis, [key], [id, attempt, this.ttlSeconds]);
      },
      ...(whenStarted
        ? {
            whenStarted,
            drop: async (call: OpenCall) => {
              await this.redis.hdel(call.journal, call.id);
            },
          }
        : {}),
    };
  }

  /**
   * The close of the job's journal, for the final transition of the run that ends the job to
   * carry out (one script fewer than {@link closeIfFinished} after it). `onClosed` gets what
   * {@link closeIfFinished} would have returned, when the transition ended the job.
   */
  closing(jobId: string, onClosed: (lateModels: string[]) => void): JournalClose {
    return {
      keys: [this.keys.jobOpenCalls(jobId), this.keys.jobLateCalls(jobId)],
      lifetimeSeconds: this.ttlSeconds,
      onClosed,
    };
  }

  /** Every call recorded for the job since it last ended, oldest first. */
  async interrupted(jobId: string): Promise<InterruptedCall[]> {
    const open = await this.redis.hgetall(this.keys.jobOpenCalls(jobId));
    return Object.entries(open)
      .map(([id, text]) => ({ id, attempt: JSON.parse(text) as AttemptRecord }))
      .sort((a, b) => a.attempt.started_at - b.attempt.started_at);
  }

  /**
   * Closes the job's journal once the job has ended (see `closeJournalScript`): undefined while
   * it has not, else the models of the calls no stored attempt holds (now in its late-calls
   * list; a run that lost the race to end the job made them).
   */
  async closeIfFinished(jobId: string): Promise<string[] | undefined> {
    const [finished, ...lateModels] = (await closeJournalScript.run(
      this.redis,
      [this.keys.job(jobId), this.keys.jobOpenCalls(jobId), this.keys.jobLateCalls(jobId)],
      [this.ttlSeconds],
    )) as [number, ...string[]];
    return finished === 1 ? lateModels : undefined;
  }

  /** The calls of runs that lost the race to end the job (see {@link closeIfFinished}). */
  async lateCalls(jobId: string): Promise<AttemptRecord[]> {
    const texts = await this.redis.lrange(this.keys.jobLateCalls(jobId), 0, -1);
    return texts.map((text) => JSON.parse(text) as AttemptRecord);
  }
}

/** The attempt a call becomes if it never ends: billed for its prompt, flagged as an estimate. */
export function interruptedAttempt(
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
    cost_usd: interruptedCost(entry, inputTokens),
    cost_estimated: true,
    usage: { input_tokens: inputTokens, cached_input_tokens: 0, output_tokens: 0 },
  };
}

function interruptedCost(entry: ModelEntry, inputTokens: number): number {
  return roundUsd((inputTokens * entry.pricing.input) / 1_000_000);
}

/** Per catalog entry, the JSON of its interrupted attempts up to their `started_at` value. */
const interruptedHeads = new WeakMap<ModelEntry, string>();

/**
 * `JSON.stringify(interruptedAttempt(…))`, written as text: every provider call writes one, and
 * only its numbers change from call to call (the entry's names are quoted once per entry).
 */
export function interruptedAttemptJson(
  entry: ModelEntry,
  startedAt: number,
  inputTokens: number,
): string {
  let head = interruptedHeads.get(entry);
  if (head === undefined) {
    head = `{"provider":${JSON.stringify(entry.provider)},"model":${JSON.stringify(entry.id)},"outcome":"interrupted","started_at":`;
    interruptedHeads.set(entry, head);
  }
  const cost = jsonNumber(interruptedCost(entry, inputTokens));
  const tokens = jsonNumber(inputTokens);
  return `${head}${jsonNumber(startedAt)},"latency_ms":0,"cost_usd":${cost},"cost_estimated":true,"usage":{"input_tokens":${tokens},"cached_input_tokens":0,"output_tokens":0}}`;
}

/** A number as `JSON.stringify` writes it (`null` when not finite). */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}

/**
 * The attempts of a job's earlier runs with the calls its journal holds that they do not:
 * those a run made and died before storing. A call is known by its model and start time.
 */
export function withInterruptedCalls(
  previous: readonly AttemptRecord[],
  journal: readonly InterruptedCall[],
): AttemptRecord[] {
  const known = new Set(previous.map((attempt) => `${attempt.model}@${attempt.started_at}`));
  return [
    ...previous,
    ...journal
      .map((call) => call.attempt)
      .filter((attempt) => !known.has(`${attempt.model}@${attempt.started_at}`)),
  ];
}
