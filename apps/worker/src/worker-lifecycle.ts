import type { Job, Worker } from 'bullmq';

/**
 * Calls `onLost` for every job of `worker`'s queue that stalled more often than allowed
 * (`maxStalledCount`). BullMQ's stall check does not fail such a job itself: it marks it
 * (`deferredFailure`) and puts it back in the queue, and the next worker that takes it fails
 * it without running it, emitting `failed` there. Listening to that local event costs nothing
 * per job, where watching the queue's event stream (`QueueEvents`) woke every worker process
 * for every event of every job.
 */
export function onStalledOut(worker: Worker, onLost: (job: Job) => void): void {
  worker.on('failed', (job) => {
    if (job?.deferredFailure) onLost(job);
  });
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
