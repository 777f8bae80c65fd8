import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  /** redis:// or rediss:// URL (env `REDIS_URL`). */
  url: string;
  /**
   * `worker`: blocking connection for BullMQ workers (`maxRetriesPerRequest: null`, as BullMQ
   * requires). `client`: commands fail fast while Redis is down so the API can answer 503.
   */
  role: 'worker' | 'client';
  /** Connection name shown by CLIENT LIST, for debugging. */
  name?: string;
}

/** Opens an ioredis connection configured for its role. */
export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const common: RedisOptions = {
    connectionName: options.name,
    // Reconnect forever with a capped backoff: Redis restarts must not kill the process.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  if (options.role === 'worker') {
    return new Redis(options.url, {
      ...common,
      maxRetriesPerRequest: null,
      enableReadyCheck: true,
    });
  }
  return new Redis(options.url, {
    ...common,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2000,
  });
}

/** True when `error` means Redis could not be reached (the caller should answer 503). */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const text = `${error.name} ${error.message}`;
  return /MaxRetriesPerRequest|ECONNREFUSED|ECONNRESET|Connection is closed|connect ETIMEDOUT|Stream isn't writeable|LOADING|ENOTFOUND/i.test(
    text,
  );
}
