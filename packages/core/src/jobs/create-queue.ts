import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { assertClusterKeyPrefix } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';
import type { JobName } from './job-catalog';
import { jobCatalog } from './job-catalog';

/** Opens the BullMQ queue a job name belongs to, under the shared key prefix. */
export function createQueue(jobName: JobName, connection: Redis, keys: RedisKeys): Queue {
  const entry = jobCatalog[jobName];
  assertClusterKeyPrefix(connection, keys.prefix);
  return new Queue(entry.queue, {
    connection,
    prefix: keys.prefix,
    defaultJobOptions: entry.defaultOptions,
  });
}
