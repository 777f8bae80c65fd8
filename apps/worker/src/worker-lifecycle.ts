import { QueueEvents, type Worker } from 'bullmq';
import type { Redis } from 'ioredis';

/** A queue's event stream, watched on a connection of its own. */
export interface StalledWatch {
  waitUntilReady(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * Calls `onLost` for every job of `queueName` that stalled more often than allowed. BullMQ
 * fails such a job inside a Lua script, with no worker event: the queue's event stream is the
 * one place that reports it.
 */
export function watchStalledFailures(
  connection: Redis,
  prefix: string,
  queueName: string,
  onLost: (jobId: string) => void,
): StalledWatch {
  const eventsConnection = connection.duplicate();
  const events = new QueueEvents(queueName, { connection: eventsConnection, prefix });
  events.on('failed', ({ jobId, failedReason }) => {
    if (/stalled/i.test(failedReason)) onLost(jobId);
  });
  return {
    waitUntilReady: () => events.waitUntilReady(),
    async close() {
      await events.close();
      // BullMQ leaves connections it was given open; this one is ours to close.
      await eventsConnection.quit().catch(() => undefined);
    },
  };
}

/**
 * Stops the workers taking work and waits for their active jobs up to `timeoutMs`, then
 * closes them anyway: the active jobs' locks lapse and another worker recovers them.
 */
export async function closeWorkers(
  workers: readonly Worker[],
  timeoutMs: number,
): Promise<'drained' | 'forced'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'forced'>((resolve) => {
    timer = setTimeout(() => resolve('forced'), timeoutMs);
  });
  const drained = Promise.all(workers.map((worker) => worker.close())).then(
    () => 'drained' as const,
  );
  const outcome = await Promise.race([drained, timeout]);
  clearTimeout(timer);
  if (outcome === 'forced') await Promise.all(workers.map((worker) => worker.close(true)));
  return outcome;
}
