import type { Redis } from 'ioredis';
import type { LedgerWrite } from '../cost/cost-ledger';
import { runningSetTtlSeconds } from '../limits/running-cap-scripts';
import type { RedisKeys } from '../redis/redis-keys';
import type { AttemptRecord } from '../resilience/attempt-record';
import type { JournalClose } from '../resilience/call-journal';
import { journalCallKey } from '../resilience/call-journal-scripts';
import { DeadLetterStore } from './dead-letter-store';
import { defaultJobEventLimits, type JobEventLimits } from './job-event';
import { JobExplorer } from './job-explorer';
import type { JobFailure } from './job-failure';
import {
  type JobLane,
  type JobRecord,
  type JobResult,
  jobLanes,
  type NewJobRecord,
} from './job-record';
import { type JobStatus, jobStatusSchema } from './job-status';
import {
  cancelScript,
  createScript,
  finishScript,
  initialScript,
  reopenScript,
  requeueScript,
  settleCancelledScript,
  startScript,
  stopScript,
  tenantIndexIntervalSeconds,
} from './job-store-scripts';

export interface JobStoreOptions {
  /** How long a finished job stays readable, seconds (env `RESULT_TTL_SECONDS`, default 86400). */
  resultTtlSeconds: number;
  /** How long a record of a job not yet finished is kept, seconds (default 7 days). */
  pendingTtlSeconds?: number;
  /** Bounds of each job's event stream (status changes and token deltas); see {@link JobEventLimits}. */
  events?: Partial<JobEventLimits>;
}

/** Options of {@link JobStore.create}. */
export interface JobCreateOptions {
  /**
   * Mark the job `notify` (its end goes to the webhook outbox) when its tenant has default
   * webhook endpoints; checked in the record's own write.
   */
  notifyTenantEndpoints?: boolean;
  /**
   * List the job in its tenant's job index (`GET /v1/jobs`) in the record's own write, as a
   * submitted job is (see `submit-scripts.ts`).
   */
  index?: boolean;
}

/**
 * Whether a worker should run the job; `startedAt` is when it was first started (epoch ms).
 * `expired`: never started and past its start deadline. `capped`: a running-job cap is full
 * (`running` jobs hold it).
 */
export type StartOutcome =
  | { outcome: 'started'; startedAt: number }
  | { outcome: 'capped'; running: number }
  | { outcome: 'cancelled' | 'finished' | 'missing' | 'expired' };

/** A running-job cap: its scope (`tenant:<tenant>`, `key:<key id>`) and its limit. */
export interface RunningCap {
  scope: string;
  limit: number;
}

/** Options of {@link JobStore.start}. */
export interface StartOptions {
  /** The job's start deadline, epoch ms (its request's `start_by`). */
  startBy?: number;
  /** The running-job caps the job counts against. */
  caps?: readonly RunningCap[];
}
export type CancelOutcome =
  | { outcome: 'cancelled' }
  | { outcome: 'missing' }
  | { outcome: 'not_cancellable'; status: JobStatus };

/** Stores job records and their results in Redis hashes, with bounded retention. */
export class JobStore {
  /** How long a record of a job not yet finished is kept, seconds. */
  readonly pendingTtlSeconds: number;
  private readonly events: JobEventLimits;
  /** Each tenant's failed jobs, listable for the result TTL. */
  readonly deadLetters: DeadLetterStore;
  /** Each tenant's jobs, filtered and paged from its index (see `JobExplorer`). */
  readonly explorer: JobExplorer;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: JobStoreOptions,
  ) {
    this.pendingTtlSeconds = options.pendingTtlSeconds ?? 7 * 24 * 3600;
    this.events = { ...defaultJobEventLimits, ...options.events };
    this.deadLetters = new DeadLetterStore(redis, keys, options.resultTtlSeconds);
    this.explorer = new JobExplorer(redis, keys, this);
  }

  /** Keys and trailing arguments every transition script takes (record, event stream, bounds). */
  private transition(jobId: string, args: Array<string | number>) {
    return {
      keys: [this.keys.job(jobId), this.keys.jobEvents(jobId)],
      args: [...args, this.events.maxLength, this.events.ttlSeconds, this.pendingTtlSeconds],
    };
  }

  /**
   * Writes a new job's record in status `queued`, and its first event, in one round trip. With
   * `notifyTenantEndpoints`, the record is also marked `notify` when its tenant has default
   * webhook endpoints at that moment (decided in the same script, no extra round trip); with
   * `index`, the job is listed in its tenant's job index in the same script.
   */
  async create(record: NewJobRecord, options: JobCreateOptions = {}): Promise<void> {
    const fields = newRecordArguments(record);
    const keys = [
      this.keys.job(record.id),
      this.keys.jobEvents(record.id),
      this.keys.tenantWebhookEndpoints(record.tenant),
      this.keys.tenantJobs(record.tenant),
      this.keys.tenantJobSequence(record.tenant, record.createdAt, tenantIndexIntervalSeconds),
    ];
    await createScript.run(this.redis, keys, [
      this.pendingTtlSeconds,
      record.notify ? 1 : 0,
      options.notifyTenantEndpoints ? 1 : 0,
      options.index ? 1 : 0,
      record.id,
      record.createdAt,
      ...fields,
    ]);
  }

  /** Removes a record (used when enqueueing failed, so no orphan stays `queued`). */
  async remove(jobId: string): Promise<void> {
    await this.redis.del(this.keys.job(jobId), this.keys.jobEvents(jobId));
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const fields = await this.redis.hgetall(this.keys.job(jobId));
    if (!fields.id) return null;
    return parseRecord(fields);
  }

  /**
   * Marks a job active as a worker takes it; says whether the worker should run it. With
   * `startBy`, a job never started before it ends `expired` (the caller fails it); with
   * `caps`, a job that would exceed one is not started (`capped`: the caller puts it back).
   */
  async start(
    jobId: string,
    now: number = Date.now(),
    options: StartOptions = {},
  ): Promise<StartOutcome> {
    const caps = options.caps ?? [];
    // The record prefix and the running sets' lifetime are read only with caps: two arguments
    // fewer on every uncapped start.
    const capArguments =
      caps.length === 0
        ? []
        : [this.keys.job(''), runningSetTtlSeconds, ...caps.map((cap) => cap.limit)];
    const { keys, args } = this.transition(jobId, [
      now,
      options.startBy ?? '',
      jobId,
      ...capArguments,
    ]);
    const [outcome, value] = (await startScript.run(
      this.redis,
      [...keys, ...caps.map((cap) => this.keys.runningJobs(cap.scope))],
      args,
    )) as [string, string | number];
    if (outcome === 'started') return { outcome, startedAt: Number(value) };
    if (outcome === 'capped') return { outcome, running: Number(value) };
    return { outcome: outcome as 'cancelled' | 'finished' | 'missing' | 'expired' };
  }

  /**
   * Stores the result once; false when the job had already ended (its result is never
   * overwritten). `ledger` (see `CostLedger.write`) is applied in the same step, and with
   * `journal` (see `CallJournal.closing`) the job's call journal is closed in it, only when
   * this call ends the job.
   */
  async complete(
    jobId: string,
    result: JobResult,
    now: number = Date.now(),
    ledger?: LedgerWrite,
    journal?: JournalClose,
  ): Promise<boolean> {
    const upgraded = result.stage === 'final';
    const value = JSON.stringify(result);
    const end = { status: 'completed', field: 'result', value, attempts: result.attempts } as const;
    return (await this.finish(jobId, end, now, ledger, journal, upgraded)) !== undefined;
  }

  /**
   * Stores a speculative job's initial result while the job stays active (a `job.initial`
   * event, and webhook, go out); false when the job is no longer active (cancelled).
   */
  async storeInitial(jobId: string, result: JobResult): Promise<boolean> {
    const { keys, args } = this.transition(jobId, [JSON.stringify(result), jobId]);
    const scriptKeys = [...keys, this.keys.webhookOutbox()];
    return (await initialScript.run(this.redis, scriptKeys, args)) === 1;
  }

  /**
   * Records what a speculative job cancelled during its upgrade spent (`ledger`), once; false
   * when the job was not cancelled that way or is already settled.
   */
  async settleCancelled(jobId: string, ledger: LedgerWrite): Promise<boolean> {
    const keys = [this.keys.job(jobId), ...ledger.keys];
    return (await settleCancelledScript.run(this.redis, keys, [ledger.spec])) === 1;
  }

  /**
   * Ends a job as failed and lists it as a dead letter; false when it had already ended.
   * `ledger` records what its calls billed, in the same step; with `journal`, its call journal
   * is closed in it too.
   */
  async fail(
    jobId: string,
    failure: JobFailure,
    now: number = Date.now(),
    ledger?: LedgerWrite,
    journal?: JournalClose,
  ): Promise<boolean> {
    const value = JSON.stringify(failure);
    const end = { status: 'failed', field: 'error', value, attempts: failure.attempts } as const;
    const tenant = await this.finish(jobId, end, now, ledger, journal);
    if (tenant === undefined) return false;
    if (tenant !== '') await this.deadLetters.add(tenant, jobId, now);
    return true;
  }

  /**
   * Puts a failed job of `tenant` back to `queued` (a manual retry) and takes it off the
   * dead-letter list. Says what it found otherwise.
   */
  async reopen(jobId: string, tenant: string): Promise<'reopened' | 'missing' | JobStatus> {
    const { keys, args } = this.transition(jobId, [tenant]);
    const outcome = (await reopenScript.run(this.redis, keys, args)) as string;
    if (outcome === 'reopened') await this.deadLetters.remove(tenant, jobId);
    if (outcome === 'reopened' || outcome === 'missing') return outcome;
    return jobStatusSchema.parse(outcome);
  }

  /** Puts an active job back to `queued` while it waits for a retry, noting why. */
  async requeue(jobId: string, failure: JobFailure): Promise<boolean> {
    const { keys, args } = this.transition(jobId, [JSON.stringify(failure)]);
    return (await requeueScript.run(this.redis, keys, args)) === 1;
  }

  /**
   * Ends a queued or active job as cancelled on the worker's side: its client asked to stop
   * (a disconnected stream). False when the job had already ended. With `tenant`, the job's
   * budget reservation is released in the same step.
   */
  async stop(jobId: string, now: number = Date.now(), tenant?: string): Promise<boolean> {
    const { keys, args } = this.transition(jobId, [now, this.options.resultTtlSeconds, jobId]);
    const scriptKeys = tenant === undefined ? keys : [...keys, ...this.reservationKeys(tenant)];
    return (
      (await stopScript.run(this.redis, [...scriptKeys, this.keys.webhookOutbox()], args)) === 1
    );
  }

  private reservationKeys(tenant: string): string[] {
    return [
      this.keys.budgetReservations(tenant),
      this.keys.budgetReserved(tenant),
      this.keys.budgetReservationExpiry(tenant),
    ];
  }

  /** Cancels a job that has not started; otherwise reports its status. Scoped to the tenant. */
  async cancel(jobId: string, tenant: string, now: number = Date.now()): Promise<CancelOutcome> {
    const { keys, args } = this.transition(jobId, [
      tenant,
      now,
      this.options.resultTtlSeconds,
      jobId,
    ]);
    const [outcome, status] = (await cancelScript.run(
      this.redis,
      [
        ...keys,
        ...this.reservationKeys(tenant),
        this.keys.jobCancelRequest(jobId),
        this.keys.webhookOutbox(),
      ],
      args,
    )) as [string, string];
    if (outcome === 'not_cancellable') return { outcome, status: jobStatusSchema.parse(status) };
    return { outcome: outcome as 'cancelled' | 'missing' };
  }

  /**
   * The final transition: `end.value` (JSON) stored under `end.field`, the ledger write and the
   * journal's close in the same script. Resolves with the job's tenant ('' when unknown), or
   * undefined when the job had already ended.
   */
  private async finish(
    jobId: string,
    end: FinalEnd,
    now: number,
    ledger?: LedgerWrite,
    journal?: JournalClose,
    upgraded = false,
  ): Promise<string | undefined> {
    const { keys, args } = this.transition(jobId, [
      end.status,
      now,
      end.field,
      end.value,
      this.options.resultTtlSeconds,
      jobId,
      ledger?.spec ?? '',
      upgraded ? 1 : 0,
      journal?.lifetimeSeconds ?? '',
      ...(journal ? callKeysOf(end.attempts) : []),
    ]);
    const written = await finishScript.run(
      this.redis,
      [...keys, this.keys.webhookOutbox(), ...(ledger?.keys ?? []), ...(journal?.keys ?? [])],
      args,
    );
    if (!Array.isArray(written)) return undefined;
    const [tenant, ...lateModels] = written as string[];
    journal?.onClosed(lateModels);
    return tenant ?? '';
  }
}

/** What a final transition stores: the result or the error, and the attempts it holds. */
interface FinalEnd {
  status: 'completed' | 'failed';
  field: 'result' | 'error';
  value: string;
  attempts: readonly AttemptRecord[] | undefined;
}

/** The journal's keys of the calls `attempts` hold (what its close matches them by). */
function callKeysOf(attempts: readonly AttemptRecord[] | undefined): string[] {
  const keys: string[] = [];
  for (const attempt of attempts ?? []) {
    if (typeof attempt.started_at === 'number') keys.push(journalCallKey(attempt));
  }
  return keys;
}

/**
 * A new record's script arguments (see `newRecordLua`): its tenant, model, priority and
 * creation time, then its optional fields as field/value pairs. The id, the field names every
 * record has and its constant values (status `queued`, `attempts` and `result_writes` 0) are
 * written by the script itself.
 */
export function newRecordArguments(record: NewJobRecord): Array<string | number> {
  const fields: Array<string | number> = [
    record.tenant,
    record.model,
    record.priority,
    record.createdAt,
  ];
  if (record.metadata) fields.push('metadata', JSON.stringify(record.metadata));
  if (record.inputFindings?.length)
    fields.push('input_findings', JSON.stringify(record.inputFindings));
  if (record.webhook) fields.push('webhook', JSON.stringify(record.webhook));
  if (record.optimization) fields.push('optimization', JSON.stringify(record.optimization));
  if (record.surface) fields.push('surface', record.surface);
  if (record.lane) fields.push('lane', record.lane);
  if (record.startBy !== undefined) fields.push('start_by', record.startBy);
  if (record.endsChannel) fields.push('ends_channel', record.endsChannel);
  return fields;
}

function isJobLane(value: string | undefined): value is JobLane {
  return jobLanes.some((lane) => lane === value);
}

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
}

/** A stored result; an initial one whose upgrade a cancel stopped says so. */
function parseResult(json: string, upgrade: string | undefined): JobResult {
  const result = JSON.parse(json) as JobResult;
  if (upgrade !== 'cancelled' && upgrade !== 'settled') return result;
  return {
    ...result,
    upgrade_pending: false,
    upgrade_error: {
      code: 'cancelled',
      message: 'the job was cancelled while its upgrade was pending: the initial answer stands',
    },
  };
}

function parseRecord(fields: Record<string, string>): JobRecord {
  return {
    id: fields.id ?? '',
    tenant: fields.tenant ?? '',
    status: jobStatusSchema.parse(fields.status),
    model: fields.model ?? '',
    priority: Number(fields.priority ?? 5),
    createdAt: Number(fields.created_at ?? 0),
    startedAt: optionalNumber(fields.started_at),
    finishedAt: optionalNumber(fields.finished_at),
    attempts: Number(fields.attempts ?? 0),
    metadata: fields.metadata ? JSON.parse(fields.metadata) : undefined,
    result: fields.result ? parseResult(fields.result, fields.upgrade) : undefined,
    error: fields.error ? JSON.parse(fields.error) : undefined,
    lastError: fields.last_error ? JSON.parse(fields.last_error) : undefined,
    resultWrites: Number(fields.result_writes ?? 0),
    ...(fields.input_findings ? { inputFindings: JSON.parse(fields.input_findings) } : {}),
    webhook: fields.webhook ? JSON.parse(fields.webhook) : undefined,
    notify: fields.notify === '1',
    ...(fields.optimization ? { optimization: JSON.parse(fields.optimization) } : {}),
    ...(fields.surface === 'responses' ? { surface: 'responses' as const } : {}),
    ...(isJobLane(fields.lane) ? { lane: fields.lane } : {}),
    ...(fields.start_by ? { startBy: Number(fields.start_by) } : {}),
  };
}
