/**
 * Every Redis key llmq writes is built here, under one prefix. With a hash-tagged prefix
 * such as `{llmq}` all keys (ours and BullMQ's) land in one slot, so the same code runs on
 * Redis Cluster.
 */
export class RedisKeys {
  /** @param prefix key prefix, e.g. `llmq` (env `LLMQ_PREFIX`); also BullMQ's `prefix`. */
  constructor(readonly prefix: string) {
    if (!/^[A-Za-z0-9_{}.-]+$/.test(prefix)) {
      throw new Error(`invalid key prefix "${prefix}": use letters, digits, _ . - { }`);
    }
  }

  /** Hash holding a job's record: status, timestamps, result or error. */
  job(jobId: string): string {
    return `${this.prefix}:job:${jobId}`;
  }

  /** String mapping a tenant's Idempotency-Key to the job it created. */
  idempotency(tenant: string, keyHash: string): string {
    return `${this.prefix}:idem:${tenant}:${keyHash}`;
  }

  /** Redis Stream of a job's events (status changes and token deltas), bounded and with a TTL. */
  jobEvents(jobId: string): string {
    return `${this.prefix}:job-events:${jobId}`;
  }

  /** Flag asking the worker running a job to stop it (a disconnected streaming client). */
  jobCancelRequest(jobId: string): string {
    return `${this.prefix}:job-cancel:${jobId}`;
  }
}
