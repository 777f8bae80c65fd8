import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/redis-keys';

/**
 * Asks the worker running a job to stop it: sets a flag the worker's delta publisher checks
 * with every flush and on a short timer (see `JobDeltaPublisher`). Used for a streaming
 * client that disconnected while its job was active; a queued job is cancelled in the job
 * store instead. The flag expires by itself after `ttlSeconds` (default 600).
 */
export async function requestJobStop(
  redis: Redis,
  keys: RedisKeys,
  jobId: string,
  ttlSeconds = 600,
): Promise<void> {
  await redis.set(keys.jobCancelRequest(jobId), '1', 'EX', ttlSeconds);
}
