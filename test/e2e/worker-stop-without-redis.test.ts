import { startPrivateRedis } from '@llmq/testing';
import { startSystem } from './system-harness';

/**
 * A worker told to stop while its Redis is gone exits on its own once its drain's timeout and
 * the finishing grace are spent, instead of hanging until a SIGKILL: BullMQ's close waits for a
 * `QUIT` that is never answered, and its forced close returns that same wait.
 */
it('exits after SIGTERM within its stop timeout when its Redis is gone', async () => {
  const redis = await startPrivateRedis('off');
  const system = await startSystem({
    redisUrl: redis.url,
    workerEnv: { SHUTDOWN_TIMEOUT_MS: '1000' },
  });
  try {
    const [worker] = system.workers;
    expect(worker).toBeDefined();
    expect(worker?.child.exitCode).toBeNull();
    await redis.crash();
    const stopped = Date.now();
    const code = await Promise.race([
      worker!.stop('SIGTERM'),
      new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 15_000)),
    ]);
    // 1 s of drain, 5 s to close the rest, then the exit; a stuck stop never exits.
    expect(code).toBe(1);
    expect(Date.now() - stopped).toBeLessThan(15_000);
  } finally {
    await redis.restart();
    await system.stop();
    await redis.destroy();
  }
}, 60_000);
