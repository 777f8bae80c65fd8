import type { Redis } from 'ioredis';
import { LuaScript } from '../redis/lua-script';
import type { RedisKeys } from '../redis/redis-keys';
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

const finishScript = new LuaScript(`
local status = redis.call('HGET', KEYS[1], 'status')
if status ~= 'active' and status ~= 'queued' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'finished_at', ARGV[2], ARGV[3], ARGV[4])
redis.call('HDEL', KEYS[1], 'last_error')
if ARGV[1] == 'completed' then redis.call('HINCRBY', KEYS[1], 'result_writes', 1) end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1`);

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

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: JobStoreOptions,
  ) {
    this.pendingTtlSeconds = options.pendingTtlSeconds ?? 7 * 24 * 3600;
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
    if (record.inputFindings?.length) fields.input_findings = JSON.stringify(record.inputFindings);
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
    return this.finish(jobId, 'completed', 'result', JSON.stringify(result), now);
  }

  /** Ends a job as failed; false when it had already ended. */
  async fail(jobId: string, failure: JobFailure, now: number = Date.now()): Promise<boolean> {
    return this.finish(jobId, 'failed', 'error', JSON.stringify(failure), now);
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
  ): Promise<boolean> {
    const written = await finishScript.run(
      this.redis,
      [this.keys.job(jobId)],
      [status, now, field, value, this.options.resultTtlSeconds],
    );
    return written === 1;
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
    ...(fields.input_findings ? { inputFindings: JSON.parse(fields.input_findings) } : {}),
  };
}
