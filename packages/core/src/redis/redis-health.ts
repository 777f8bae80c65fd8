import type { Redis } from 'ioredis';
import type { Logger } from '../telemetry/logger';
import { isRedisUnavailableError } from './redis-connection';

/** Told once per change of a connection's state: `down` when it fails, `up` when it is back. */
export type RedisStateListener = (change: {
  connection: string;
  state: 'down' | 'up';
  /** What failed, on `down`. */
  error?: string;
}) => void;

/**
 * Gives `connection`, and every connection later `duplicate()`d from it, an error listener
 * (ioredis prints `[ioredis] Unhandled error event` for a connection that has none) that reports
 * state changes only: one `down` when Redis stops answering, however many reconnect attempts
 * fail, and one `up` when the connection is ready again. A request failing meanwhile is
 * answered (503) without a log line of its own.
 */
export function watchRedisConnection(
  connection: Redis,
  name: string,
  onChange: RedisStateListener,
): Redis {
  let down = false;
  connection.on('error', (error: Error) => {
    if (down) return;
    down = true;
    onChange({ connection: name, state: 'down', error: error.message });
  });
  connection.on('ready', () => {
    if (!down) return;
    down = false;
    onChange({ connection: name, state: 'up' });
  });
  const duplicate = connection.duplicate.bind(connection);
  let copies = 0;
  connection.duplicate = (...args: Parameters<Redis['duplicate']>) => {
    copies += 1;
    return watchRedisConnection(duplicate(...args), `${name}-${copies}`, onChange);
  };
  return connection;
}

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
