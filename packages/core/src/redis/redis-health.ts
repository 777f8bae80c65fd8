import type { Redis } from 'ioredis';
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
