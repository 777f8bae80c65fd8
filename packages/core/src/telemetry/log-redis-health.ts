import { isRedisUnavailableError } from '../redis/redis-connection';
import type { RedisStateListener } from '../redis/redis-health';
import type { Logger } from './logger';

/** Logs each state change as a warning: `redis-down` (with the error) and `redis-up`. */
export function logRedisStateChanges(logger: Logger): RedisStateListener {
  return ({ connection, state, error }) =>
    logger.warn(`redis-${state}`, {
      event: `redis-${state}`,
      connection,
      ...(error ? { error } : {}),
    });
}

/**
 * A BullMQ worker's `error` listener: logs what went wrong, except that Redis cannot be reached,
 * which the connection's own watcher reports once per outage (see {@link watchRedisConnection}).
 */
export function logWorkerError(logger: Logger): (error: Error) => void {
  return (error) => {
    if (isRedisUnavailableError(error)) return;
    logger.error('worker-error', { event: 'worker-error', error: error.message });
  };
}
