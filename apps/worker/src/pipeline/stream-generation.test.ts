import { JobDeltaPublisher, RedisKeys, requestJobStop } from '@llmq/core';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { earlyStopCheck } from './stream-generation';

let redis: Redis;
let keys: RedisKeys;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-stop-check'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

describe('earlyStopCheck', () => {
  it('hands the read it started to the first call, and reads again for later ones', async () => {
    const watch = new JobDeltaPublisher(redis, keys, 'job_1');
    const checkStop = earlyStopCheck(watch);
    // The read went out when the check was made (a PING behind it on the same connection has
    // its answer): a stop asked after it is not in its answer…
    await redis.ping();
    await requestJobStop(redis, keys, 'job_1');
    await expect(checkStop()).resolves.toBe(false);
    // …but a later call reads the flag again and sees it.
    await expect(checkStop()).resolves.toBe(true);
  });

  it('sees a stop asked before the run began', async () => {
    await requestJobStop(redis, keys, 'job_2');
    const checkStop = earlyStopCheck(new JobDeltaPublisher(redis, keys, 'job_2'));
    await expect(checkStop()).resolves.toBe(true);
  });
});
