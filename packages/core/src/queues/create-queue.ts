import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobName } from '../jobs/job-catalog';
import { jobCatalog } from '../jobs/job-catalog';
import { assertClusterKeyPrefix } from '../redis/redis-connection';
import type { RedisKeys } from '../redis/redis-keys';

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
