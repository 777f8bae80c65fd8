import type { Redis } from 'ioredis';
import type { FairAssignment } from '../lanes/fair-priority';
import type { LuaScript } from '../redis/lua-script';
import type { RedisKeys } from '../redis/redis-keys';
import type { CompanionWrite } from './companion-write';
import { sha256 } from './idempotency-store';
import type { NewJobRecord } from './job-record';
import { newRecordArguments } from './job-store';
import { tenantIndexIntervalSeconds } from './job-store-scripts';
import { type QueueAddCall, queueAddScripts } from './queue-add';
import { type Submission, submissionSchema } from './submission';
import {
  abandonScript,
  acceptAndEnqueueScript,
  acceptScript,
  queueAddKeyCount,
} from './submit-scripts';

export interface SubmissionStoreOptions {
  /** How long an Idempotency-Key is remembered, seconds (default 24 h, as Stripe does). */
  idempotencyTtlSeconds?: number;
  /** Lifetime of a new record and its submission, seconds (the job store's pending lifetime). */
  recordTtlSeconds: number;
}

/** The accept script's fair-tag arguments when the job takes no tag. */
const noFairArguments = ['', '', '', '', '', ''];

/** Whether the installed BullMQ's add scripts take the keys the accept script passes them. */
const addFitsInAccept =
  queueAddScripts !== undefined &&
  queueAddScripts.standard.keys === queueAddKeyCount &&
  queueAddScripts.prioritized.keys === queueAddKeyCount;

/** Whether a submit's BullMQ add can run inside its accept script (see {@link AcceptRequest.enqueue}). */
export const enqueuesInAccept = addFitsInAccept;

/** The accept scripts built so far, by whether BullMQ's add runs inside and companion Lua. */
const acceptScripts = new Map<string, LuaScript>();

/**
 * The accept script with BullMQ's add inside it (when `enqueued`, see `submit-scripts.ts`) or
 * without, with the companion's Lua if any: one script per variant, built once.
 */
function acceptScriptFor(enqueued: boolean, companion: string | undefined): LuaScript {
  const variant = `${enqueued ? 'enqueue' : 'accept'}:${companion ?? ''}`;
  let script = acceptScripts.get(variant);
  if (!script) {
    script =
      enqueued && queueAddScripts
        ? acceptAndEnqueueScript(queueAddScripts, companion)
        : acceptScript(companion);
    acceptScripts.set(variant, script);
  }
  return script;
}

/** What {@link SubmissionStore.accept} needs: the record, how to enqueue it, and the key. */
export interface AcceptRequest {
  record: NewJobRecord;
  submission: Submission;
  /**
   * The job's BullMQ add (`queueAddCall`), run in the same script when {@link enqueuesInAccept}:
   * the job is then queued exactly when it is accepted, and its submission is not stored.
   */
  enqueue?: QueueAddCall;
  /** The tenant's `Idempotency-Key` and the SHA-256 of what it must be sent with again. */
  idempotency?: { key: string; bodyHash: string };
  /** Mark the job `notify` when its tenant has default webhook endpoints (see `JobStore`). */
  notifyTenantEndpoints?: boolean;
  /** The lane's fair tag for the job (`FairPriority.assignment`, one job), taken in the same call. */
  fair?: FairAssignment;
  /** A record the job must not run without, written first in the same script for a new job. */
  companion?: CompanionWrite;
  now?: number;
  /**
   * Take the job into its lane's active list under this BullMQ lock token, in the same script,
   * when the lane has nothing waiting (see `takeJobLua`): the caller then runs it, as a worker
   * that fetched it would. Only with an `enqueue` that runs inside the accept; the outcome says
   * whether it was taken.
   */
  take?: JobTake;
}

/** A caller's claim on the job it submits (see {@link AcceptRequest.take}). */
export interface JobTake {
  /** The BullMQ lock token the job is taken under. */
  token: string;
  /** How long the lock lasts before it is renewed, ms (the runner's BullMQ `lockDuration`). */
  lockDurationMs: number;
}

export type AcceptOutcome =
  /**
   * `queuePriority`: the job's BullMQ priority from its fair tag, when `fair` was given;
   * `enqueued`: the job was added to its queue in the same script (`enqueue`); `taken`: it was
   * also taken into the lane's active list under the request's `take` token.
   */
  | { outcome: 'new'; queuePriority?: number; enqueued: boolean; taken?: true }
  | { outcome: 'existing'; jobId: string }
  | { outcome: 'conflict'; jobId: string };

/**
 * Writes an accepted job's idempotency entry, record, first event, queue entry and companion
 * write in one script (all or nothing); when BullMQ's add cannot join that script, the submission instead,
 * with the job listed as pending until the sweeper has seen its queue entry. See
 * `submit-scripts.ts`.
 */
export class SubmissionStore {
  private readonly idempotencyTtlSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly options: SubmissionStoreOptions,
  ) {
    this.idempotencyTtlSeconds = options.idempotencyTtlSeconds ?? 24 * 3600;
  }

  async accept(request: AcceptRequest): Promise<AcceptOutcome> {
    const { record, submission, idempotency, fair, enqueue, companion } = request;
    const enqueued = enqueue !== undefined && addFitsInAccept;
    const now = request.now ?? Date.now();
    const keys = [
      this.keys.job(record.id),
      this.keys.jobEvents(record.id),
      this.keys.submission(record.id),
      this.keys.pendingSubmissions(),
      this.idempotencyKey(record.tenant, idempotency?.key),
      this.keys.tenantWebhookEndpoints(record.tenant),
      this.keys.tenantJobs(record.tenant),
      this.keys.tenantJobSequence(record.tenant, now, tenantIndexIntervalSeconds),
      ...(enqueued ? enqueue.keys : []),
      ...(fair?.keys ?? []),
      ...(companion?.keys ?? []),
    ];
    const args = [
      record.id,
      idempotency?.bodyHash ?? '',
      this.idempotencyTtlSeconds,
      this.options.recordTtlSeconds,
      now,
      record.notify ? 1 : 0,
      request.notifyTenantEndpoints ? 1 : 0,
      enqueued ? takeArgument(request.take) : JSON.stringify(submission),
      fair ? 1 : 0,
      ...(fair?.args ?? noFairArguments),
      ...(enqueued ? [...enqueue.args, enqueue.kind] : []),
      companion?.keys.length ?? 0,
      companion?.args.length ?? 0,
      ...(companion?.args ?? []),
      ...newRecordArguments(record),
    ];
    const script = acceptScriptFor(enqueued, companion?.script);
    const [outcome, jobId, queuePriority, taken] = (await script.run(this.redis, keys, args)) as [
      string,
      string,
      number?,
      number?,
    ];
    if (outcome === 'existing' || outcome === 'conflict') return { outcome, jobId };
    const took = taken === 1 ? { taken: true as const } : {};
    return fair
      ? { outcome: 'new', queuePriority: Number(queuePriority), enqueued, ...took }
      : { outcome: 'new', enqueued, ...took };
  }

  /**
   * Takes back a submit whose enqueue failed (see `abandonScript`). False when a worker had
   * already started the job: its enqueue went through and only the answer was lost.
   */
  async abandon(tenant: string, jobId: string, idempotencyKey?: string): Promise<boolean> {
    const taken = await abandonScript.run(
      this.redis,
      [
        this.keys.job(jobId),
        this.keys.jobEvents(jobId),
        this.keys.submission(jobId),
        this.keys.pendingSubmissions(),
        this.idempotencyKey(tenant, idempotencyKey),
      ],
      [jobId, idempotencyKey === undefined ? 0 : 1],
    );
    return taken === 1;
  }

  /** The stored submission of a job, or undefined once it was cleared or expired. */
  async read(jobId: string): Promise<Submission | undefined> {
    const text = await this.redis.get(this.keys.submission(jobId));
    return text ? submissionSchema.parse(JSON.parse(text)) : undefined;
  }

  /** Ids of jobs accepted before `before` (epoch ms) and not yet cleared, oldest first. */
  async pending(before: number, limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(
      this.keys.pendingSubmissions(),
      '-inf',
      before,
      'LIMIT',
      0,
      limit,
    );
  }

  /** Forgets the submissions of jobs known to be queued, running or finished. */
  async clear(jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.redis
      .multi()
      .zrem(this.keys.pendingSubmissions(), ...jobIds)
      .del(...jobIds.map((jobId) => this.keys.submission(jobId)))
      .exec();
  }

  /**
   * Per job: `missing` (a `queued` record whose queue entry is in none of `queueKeys`), `present`
   * or `not_queued` (no record, or it ran, runs, or was cancelled). One pipeline for all.
   */
  async inspect(
    jobIds: string[],
    queueKeys: (jobId: string) => string[],
  ): Promise<Array<'missing' | 'present' | 'not_queued'>> {
    if (jobIds.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const jobId of jobIds) {
      pipeline.hget(this.keys.job(jobId), 'status');
      pipeline.exists(...queueKeys(jobId));
    }
    const replies = (await pipeline.exec()) ?? [];
    return jobIds.map((_, index) => {
      const [statusError, status] = replies[2 * index] ?? [];
      const [existsError, exists] = replies[2 * index + 1] ?? [];
      if (statusError || existsError) throw statusError ?? existsError;
      if (status !== 'queued') return 'not_queued';
      return Number(exists) > 0 ? 'present' : 'missing';
    });
  }

  /** The idempotency entry's key; a placeholder of the tenant's (never touched) without one. */
  private idempotencyKey(tenant: string, idempotencyKey: string | undefined): string {
    return idempotencyKey === undefined
      ? this.keys.idempotency(tenant, '-')
      : this.keys.idempotency(tenant, sha256(idempotencyKey));
  }
}

/** The accept-and-enqueue script's ARGV[8]: '' or `<lock ms> <token>` (see `takeJobLua`). */
function takeArgument(take: JobTake | undefined): string {
  return take === undefined ? '' : `${Math.max(1, Math.round(take.lockDurationMs))} ${take.token}`;
}
