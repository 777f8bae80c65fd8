import type { Redis } from 'ioredis';
import { LuaScript } from '../redis/lua-script';
import type { RedisKeys } from '../redis/redis-keys';
import { DeadLetterStore } from './dead-letter-store';
import type { JobFailure } from './job-failure';
import type { JobRecord, JobResult, NewJobRecord } from './job-record';
import { type JobStatus, jobStatusSchema } from './job-status';

export interface JobStoreOptions {
  /** How long a finished job stays readable, seconds (env `RESULT_TTL_SECONDS`, default 86400). */
  resultTtlSeconds: number;
  /** How long a record of a job not yet finished is kept, seconds (default 7 days). */
  pendingTtlSeconds?: number;
}

/** Whether a worker should run the job; `startedAt` is when it was first started (epoch ms). */
export type StartOutcome =
  | { outcome: 'started'; startedAt: number }
  | { outcome: 'cancelled' | 'finished' | 'missing' };
export type CancelOutcome =
  | { outcome: 'cancelled' }
  | { outcome: 'missing' }
  | { outcome: 'not_cancellable'; status: JobStatus };

// Each transition is one Lua script so two workers (a stalled job picked up again) or a
// worker and a cancel can never both win: the record is the arbiter of a job's state.
const startScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'missing', 0} end
if status == 'cancelled' then return {'cancelled', 0} end
if status == 'completed' or status == 'failed' then return {'finished', 0} end
redis.call('HSET', KEYS[1], 'status', 'active')
redis.call('HSETNX', KEYS[1], 'started_at', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {'started', redis.call('HGET', KEYS[1], 'started_at')}`);

// Ending a job and recording its webhook event are one script (a transactional outbox): the
// event exists exactly when the result is final, so a crash can neither send a webhook for a
// result not yet stored nor lose the event of a stored one. A relay turns the stream entry
// into delivery jobs (webhooks/webhook-outbox-relay.ts).
const finishScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'active' and status ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[2], ARGV[3], ARGV[4])
redis.call('HDEL', KEYS[1], 'last_error')
if ARGV[1] == 'completed' then redis.call('HINCRBY', KEYS[1], 'result_writes', 1) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
if redis.call('HGET', KEYS[1], 'notify') == '1' then
  redis.call('XADD', KEYS[2], '*', 'job_id', ARGV[6], 'status', ARGV[1])
end
return redis.call('HGET', KEYS[1], 'tenant') or ''`);

// A failed job of the tenant goes back to queued for a manual retry (dead-letter re-run).
const reopenScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status or redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return 'missing' end
if status ~= 'failed' then return status end
redis.call('HSET', KEYS[1], 'status', 'queued', 'last_error', redis.call('HGET', KEYS[1], 'error'))
redis.call('HDEL', KEYS[1], 'error', 'finished_at')
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 'reopened'`);

const requeueScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'active' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'queued', 'last_error', ARGV[1])
return 1`);

const cancelScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if not status or redis.call('HGET', KEYS[1], 'tenant') ~= ARGV[1] then return {'missing', ''} end
if status ~= 'queued' then return {'not_cancellable', status} end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'finished_at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return {'cancelled', 'cancelled'}`);

/** Stores job records and their results in Redis hashes, with bounded retention. */
export class JobStore {
  private readonly pendingTtlSeconds: number;
  /** Each tenant's failed jobs, listable for the result TTL. */
  readonly deadLetters: DeadLetterStore;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: JobStoreOptions,
  ) {
    this.pendingTtlSeconds = options.pendingTtlSeconds ?? 7 * 24 * 3600;
    this.deadLetters = new DeadLetterStore(redis, keys, options.resultTtlSeconds);
  }

  /** Writes a new job's record in status `queued`. */
  async create(record: NewJobRecord): Promise<void> {
    const key = this.keys.job(record.id);
    const fields: Record<string, string | number> = {
      id: record.id,
      tenant: record.tenant,
      status: 'queued',
      model: record.model,
      priority: record.priority,
      created_at: record.createdAt,
      attempts: 0,
      result_writes: 0,
    };
    if (record.metadata) fields.metadata = JSON.stringify(record.metadata);
    if (record.webhook) fields.webhook = JSON.stringify(record.webhook);
    if (record.notify) fields.notify = 1;
    await this.redis.multi().hset(key, fields).expire(key, this.pendingTtlSeconds).exec();
  }

  /** Removes a record (used when enqueueing failed, so no orphan stays `queued`). */
  async remove(jobId: string): Promise<void> {
    await this.redis.del(this.keys.job(jobId));
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const fields = await this.redis.hgetall(this.keys.job(jobId));
    if (!fields.id) return null;
    return parseRecord(fields);
  }

  /** Marks a job active as a worker takes it; says whether the worker should run it. */
  async start(jobId: string, now: number = Date.now()): Promise<StartOutcome> {
    const [outcome, startedAt] = (await startScript.run(
      this.redis,
      [this.keys.job(jobId)],
      [now],
    )) as [string, string | number];
    if (outcome === 'started') return { outcome, startedAt: Number(startedAt) };
    return { outcome: outcome as 'cancelled' | 'finished' | 'missing' };
  }

  /** Stores the result once; false when the job had already ended (its result is never overwritten). */
  async complete(jobId: string, result: JobResult, now: number = Date.now()): Promise<boolean> {
    return (
      (await this.finish(jobId, 'completed', 'result', JSON.stringify(result), now)) !== undefined
    );
  }

  /** Ends a job as failed and lists it as a dead letter; false when it had already ended. */
  async fail(jobId: string, failure: JobFailure, now: number = Date.now()): Promise<boolean> {
    const tenant = await this.finish(jobId, 'failed', 'error', JSON.stringify(failure), now);
    if (tenant === undefined) return false;
    if (tenant !== '') await this.deadLetters.add(tenant, jobId, now);
    return true;
  }

  /**
   * Puts a failed job of `tenant` back to `queued` (a manual retry) and takes it off the
   * dead-letter list. Says what it found otherwise.
   */
  async reopen(jobId: string, tenant: string): Promise<'reopened' | 'missing' | JobStatus> {
    const outcome = (await reopenScript.run(
      this.redis,
      [this.keys.job(jobId)],
      [tenant, this.pendingTtlSeconds],
    )) as string;
    if (outcome === 'reopened') await this.deadLetters.remove(tenant, jobId);
    if (outcome === 'reopened' || outcome === 'missing') return outcome;
    return jobStatusSchema.parse(outcome);
  }

  /** Puts an active job back to `queued` while it waits for a retry, noting why. */
  async requeue(jobId: string, failure: JobFailure): Promise<boolean> {
    return (
      (await requeueScript.run(this.redis, [this.keys.job(jobId)], [JSON.stringify(failure)])) === 1
    );
  }

  /** Cancels a job that has not started; otherwise reports its status. Scoped to the tenant. */
  async cancel(jobId: string, tenant: string, now: number = Date.now()): Promise<CancelOutcome> {
    const [outcome, status] = (await cancelScript.run(
      this.redis,
      [this.keys.job(jobId)],
      [tenant, now, this.options.resultTtlSeconds],
    )) as [string, string];
    if (outcome === 'not_cancellable') return { outcome, status: jobStatusSchema.parse(status) };
    return { outcome: outcome as 'cancelled' | 'missing' };
  }

  private async finish(
    jobId: string,
    status: 'completed' | 'failed',
    field: 'result' | 'error',
    value: string,
    now: number,
  ): Promise<string | undefined> {
    const written = await finishScript.run(
      this.redis,
      [this.keys.job(jobId), this.keys.webhookOutbox()],
      [status, now, field, value, this.options.resultTtlSeconds, jobId],
    );
    // The script answers 0 when the job had already ended, else the job's tenant.
    return typeof written === 'string' ? written : undefined;
  }
}

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined || value === '' ? undefined : Number(value);
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
    result: fields.result ? JSON.parse(fields.result) : undefined,
    error: fields.error ? JSON.parse(fields.error) : undefined,
    lastError: fields.last_error ? JSON.parse(fields.last_error) : undefined,
    resultWrites: Number(fields.result_writes ?? 0),
    webhook: fields.webhook ? JSON.parse(fields.webhook) : undefined,
    notify: fields.notify === '1',
  };
}
