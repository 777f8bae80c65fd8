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

  /** Hash holding a stored file's metadata (id, tenant, bytes, purpose, chunk count). */
  file(fileId: string): string {
    return `${this.prefix}:file:${fileId}`;
  }

  /** List of a stored file's content chunks, in order. */
  fileChunks(fileId: string): string {
    return `${this.prefix}:file:${fileId}:chunks`;
  }

  /** Hash holding a batch's record: status, counts, timestamps, errors. */
  batch(batchId: string): string {
    return `${this.prefix}:batch:${batchId}`;
  }

  /** Bitmap of a batch's lines that have ended (bit = line index): each line counts once. */
  batchDone(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:done`;
  }

  /** List of a batch's output lines (JSONL), until finalisation copies them into a file. */
  batchOutput(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:output`;
  }

  /** List of a batch's error lines (JSONL), until finalisation copies them into a file. */
  batchErrors(batchId: string): string {
    return `${this.prefix}:batch:${batchId}:errors`;
  }

  /** Sorted set of a tenant's batch ids, scored by creation time (for listing). */
  tenantBatches(tenant: string): string {
    return `${this.prefix}:batches:${tenant}`;
  }
}
