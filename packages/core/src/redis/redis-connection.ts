import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  /**
   * redis:// or rediss:// URL (env `REDIS_URL`). `redis-cluster://host:port[,host:port...]`
   * (or `rediss-cluster://` for TLS) opens a Redis Cluster client seeded with those nodes; keys
   * must then share one hash slot, which a hash-tagged `LLMQ_PREFIX` such as `{llmq}` ensures.
   */
  url: string;
  /**
   * `worker`: blocking connection for BullMQ workers (`maxRetriesPerRequest: null`, as BullMQ
   * requires). `client`: commands fail fast while Redis is down so the API can answer 503.
   */
  role: 'worker' | 'client';
  /** Connection name shown by CLIENT LIST, for debugging. */
  name?: string;
}

const clusterSchemes = ['redis-cluster:', 'rediss-cluster:'];

/** True when `url` names a Redis Cluster (`redis-cluster://` or `rediss-cluster://`). */
export function isRedisClusterUrl(url: string): boolean {
  return clusterSchemes.some((scheme) => url.toLowerCase().startsWith(`${scheme}//`));
}

/** The seed nodes and credentials of a `redis-cluster://[user:password@]host:port,...` URL. */
export function parseRedisClusterUrl(url: string): {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  tls: boolean;
} {
  const match = /^(rediss?)-cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)/i.exec(url);
  if (!match) throw new Error('invalid Redis Cluster URL: use redis-cluster://host:port,...');
  const [, scheme, user, password, hosts] = match;
  const nodes = (hosts ?? '').split(',').map((entry) => {
    const at = entry.lastIndexOf(':');
    const host = at > 0 ? entry.slice(0, at).replace(/^\[|\]$/g, '') : entry;
    const port = at > 0 ? Number(entry.slice(at + 1)) : 6379;
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65_535)
      throw new Error(`invalid Redis Cluster node "${entry}": use host:port`);
    return { host, port };
  });
  return {
    nodes,
    username: user ? decodeURIComponent(user) : undefined,
    password: password ? decodeURIComponent(password) : undefined,
    tls: scheme?.toLowerCase() === 'rediss',
  };
}

/**
 * Opens an ioredis connection configured for its role: a single node for `redis://`, a Cluster
 * client for `redis-cluster://`.
 *
 * A Cluster client is returned under the `Redis` type: llmq only sends single-slot commands,
 * pipelines and Lua scripts (every key under the hash-tagged prefix), `duplicate()`, pub/sub and
 * `quit()`, which ioredis' `Cluster` implements with the same signatures, and BullMQ accepts
 * either. Node-level calls (`SCAN` over the whole keyspace) are not used on these connections.
 */
export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const common: RedisOptions = {
    connectionName: options.name,
    // Reconnect forever with a capped backoff: Redis restarts must not kill the process.
    retryStrategy: (times) => Math.min(times * 200, 2000),
  };
  const roleOptions: RedisOptions =
    options.role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: true,
          connectTimeout: 2000,
          // A queued command fails when the next reconnect attempt does: retrying every 500 ms
          // at most bounds how long a request waits for its 503 while Redis is down.
          retryStrategy: (times) => Math.min(times * 100, 500),
        };
  if (isRedisClusterUrl(options.url))
    return openCluster(options.url, { ...common, ...roleOptions });
  return new Redis(options.url, { ...common, ...roleOptions });
}

function openCluster(url: string, redisOptions: RedisOptions): Redis {
  const { nodes, username, password, tls } = parseRedisClusterUrl(url);
  const clusterOptions: ClusterOptions = {
    redisOptions: { ...redisOptions, username, password, ...(tls ? { tls: {} } : {}) },
    // Like the single-node client: keep trying to reach the cluster, never give up.
    clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
    enableOfflineQueue: redisOptions.enableOfflineQueue ?? true,
    enableReadyCheck: true,
    maxRedirections: 16,
  };
  const cluster = new Cluster(nodes, clusterOptions);
  // Cluster implements every command llmq sends with Redis's signatures (see above).
  return cluster as unknown as Redis;
}

/**
 * True when every key starting with `prefix` hashes to one Redis Cluster slot: Redis hashes
 * the part between the first `{` and the next `}` when it is not empty (`{llmq}`, `app{llmq}`).
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  if (open < 0) return false;
  const close = prefix.indexOf('}', open + 1);
  return close > open + 1;
}

/**
 * Throws at startup when `connection` is a Redis Cluster client and `prefix` has no hash tag:
 * BullMQ's multi-key scripts would otherwise fail with CROSSSLOT on the first job.
 */
export function assertClusterKeyPrefix(connection: Redis, prefix: string): void {
  const client = connection as Redis | Cluster;
  if (client instanceof Cluster && !hasHashTag(prefix)) {
    throw new Error(
      `LLMQ_PREFIX "${prefix}" has no hash tag: on a Redis Cluster use one such as "{${prefix.replace(/[{}]/g, '') || 'llmq'}}" so every key lands in one slot`,
    );
  }
}

/** True when `error` means Redis could not be reached (the caller should answer 503). */
export function isRedisUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const text = `${error.name} ${error.message}`;
  return /MaxRetriesPerRequest|ECONNREFUSED|ECONNRESET|Connection is closed|connect ETIMEDOUT|Stream isn't writeable|LOADING|ENOTFOUND|CLUSTERDOWN|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready/i.test(
    text,
  );
}
