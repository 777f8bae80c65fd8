import { clearIdleMarker, FairPriority, LaneThroughput, type Logger } from '@llmq/core';
import type { RunnerServices } from '@llmq/runner';
import type { WorkerEnv } from '../env';
import { LaneBalancer } from './lane-balancer';

/**
 * The worker's three lanes (async prompts, interactive, bulk): tenant-fair priorities inside
 * each lane (`LANE_FAIRNESS`), and idle lanes lending their concurrency (`LANE_LENDING`).
 */
export function createLanes(
  services: Pick<RunnerServices, 'connection' | 'keys' | 'queues' | 'flows'>,
  env: WorkerEnv,
  logger: Logger,
): { lanes: LaneBalancer; fair?: FairPriority; throughput: LaneThroughput } {
  const { connection, keys, queues, flows } = services;
  const fair = env.LANE_FAIRNESS
    ? new FairPriority(
        connection,
        keys,
        (error) =>
          logger.warn('fair-clock-failed', {
            event: 'fair-clock-failed',
            error: error instanceof Error ? error.message : String(error),
          }),
        flows,
      )
    : undefined;
  // Jobs started per lane, for the wait estimate of queued jobs (GET /v1/jobs/:id); the
  // prompt pipeline counts a job once the job store started it (not when a cap sent it back).
  const throughput = new LaneThroughput(connection, keys, {
    onError: (error) =>
      logger.warn('lane-throughput-failed', {
        event: 'lane-throughput-failed',
        error: error instanceof Error ? error.message : String(error),
      }),
  });
  const lanes = new LaneBalancer({
    lanes: [
      { queue: queues.prompt, share: env.WORKER_CONCURRENCY },
      { queue: queues.interactive, share: env.INTERACTIVE_CONCURRENCY },
      { queue: queues.bulk, share: env.BULK_WORKER_CONCURRENCY },
    ],
    intervalMs: env.LANE_BALANCE_INTERVAL_MS,
    lending: env.LANE_LENDING,
    onJobStart: (queueName, job) => fair?.started(queueName, job.opts.priority),
    // The fetch that took this job left a marker behind for the next one; when there is none,
    // the marker would only wake this process's own blocking read (see lane-marker.ts).
    onIdleLaneJob: (queue) =>
      void clearIdleMarker(connection, queue, (error) =>
        logger.warn('lane-marker-failed', {
          event: 'lane-marker-failed',
          error: error instanceof Error ? error.message : String(error),
        }),
      ),
    logger,
  });
  return { lanes, fair, throughput };
}
