// Reads BullMQ queues from the bench process: how much work is left, whether any failed.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sleep } from './harness.mjs';

/** Opens a queue for reading; `close()` also closes its connection. */
export function openQueue(redisUrl, name, prefix) {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, prefix });
  return {
    queue,
    connection,
    /** Jobs not yet finished (waiting, prioritized, active, delayed). */
    async pending() {
      const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'paused');
      return Object.values(counts).reduce((sum, count) => sum + count, 0);
    },
    async failed() {
      return (await queue.getJobCounts('failed')).failed;
    },
    /** Resolves with the ms since `startedAt` when nothing is pending any more. */
    async drained(startedAt, timeoutMs = 600_000) {
      const deadline = Date.now() + timeoutMs;
      while ((await this.pending()) > 0) {
        if (Date.now() > deadline) throw new Error(`${name} did not drain in ${timeoutMs} ms`);
        await sleep(20);
      }
      return performance.now() - startedAt;
    },
    async close() {
      await queue.close();
      await connection.quit();
    },
  };
}
