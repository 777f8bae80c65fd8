// Decides which Redis `npm start` uses, starting (and if need be installing) a private one.
import {
  canInstallRedisServer,
  hasRedisServer,
  installRedisServer,
  isPortOpen,
  pingRedis,
  startRedisServer,
} from './local-redis.js';

const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** `redis://:secret@host` → `redis://:***@host`, for printing. */
export function redactUrl(url) {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

export class RedisUnavailableError extends Error {
  name = 'RedisUnavailableError';
}

/**
 * Returns a Redis that answers, in this order: REDIS_URL, redis://127.0.0.1:6379, or a
 * redis-server started here on the port of REDIS_URL (default 6379) with AOF on and data in
 * `dataDir`. A REDIS_URL pointing at another machine is never replaced by a local one: if it
 * does not answer, that is an error, because silently using a different Redis would mislead.
 *
 * @param {{redisUrl?: string, dataDir: string, log: (line: string) => void}} options
 * @returns {Promise<{url: string, startedHere: boolean, stop: () => Promise<void>}>}
 */
export async function ensureRedis({ redisUrl, dataDir, log }) {
  const existing = (url) => ({ url, startedHere: false, stop: async () => {} });

  if (redisUrl && (await pingRedis(redisUrl))) return existing(redisUrl);
  // A cluster is never replaced by a single node started here: the apps would not run on it.
  if (redisUrl && /^rediss?-cluster:\/\//i.test(redisUrl)) {
    throw new RedisUnavailableError(
      `REDIS_URL=${redactUrl(redisUrl)} (a Redis Cluster) does not answer. Start the cluster ` +
        '(its seed node must answer PING), or unset REDIS_URL to use a single local Redis.',
    );
  }

  const target = new URL(redisUrl || DEFAULT_REDIS_URL);
  if (!LOCAL_HOSTS.has(target.hostname)) {
    throw new RedisUnavailableError(
      `REDIS_URL=${redactUrl(redisUrl)} does not answer. Start that Redis, or unset REDIS_URL ` +
        'to use (or start) one on this machine.',
    );
  }
  if (!redisUrl && (await pingRedis(DEFAULT_REDIS_URL))) return existing(DEFAULT_REDIS_URL);

  const port = Number(target.port || 6379);
  if (await isPortOpen('127.0.0.1', port)) {
    throw new RedisUnavailableError(
      `Port ${port} is taken by something that does not answer Redis PING (wrong password?). ` +
        'Set REDIS_URL to a Redis that answers, or free the port.',
    );
  }

  if (!hasRedisServer()) {
    if (!canInstallRedisServer()) {
      throw new RedisUnavailableError(
        `No Redis answers at ${redactUrl(target.toString())} and redis-server is not installed.\n` +
          '  Install Redis 7 (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis),\n' +
          '  or set REDIS_URL to a Redis that answers.',
      );
    }
    log('redis-server is not installed; running apt-get update && apt-get install -y redis-server');
    if (!installRedisServer()) {
      throw new RedisUnavailableError(
        'apt-get could not install redis-server (see its output above). Install Redis yourself or set REDIS_URL.',
      );
    }
    // The Debian package may start its own service on 6379; use it if it does.
    const installedUrl = redisUrl || DEFAULT_REDIS_URL;
    if (await pingRedis(installedUrl)) return existing(installedUrl);
  }

  log(`starting redis-server on 127.0.0.1:${port} (AOF on, data in ${dataDir})`);
  const password = decodeURIComponent(target.password || '') || undefined;
  const server = await startRedisServer({
    port,
    dir: dataDir,
    appendOnly: true,
    password,
    detached: true,
  });
  // Keep the caller's spelling (user name, database number) when it gave a URL.
  return { url: redisUrl || server.url, startedHere: true, stop: () => server.stop() };
}
