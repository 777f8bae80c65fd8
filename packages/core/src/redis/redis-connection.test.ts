import { Cluster, Redis } from 'ioredis';
import {
  assertClusterKeyPrefix,
  createRedisConnection,
  hasHashTag,
  isRedisClusterUrl,
  isRedisUnavailableError,
  parseRedisClusterUrl,
} from './redis-connection';

describe('Redis Cluster URLs', () => {
  it('recognises redis-cluster:// and rediss-cluster://, nothing else', () => {
    expect(isRedisClusterUrl('redis-cluster://127.0.0.1:7000')).toBe(true);
    expect(isRedisClusterUrl('REDISS-CLUSTER://cache.example:6380')).toBe(true);
    expect(isRedisClusterUrl('redis://127.0.0.1:6379')).toBe(false);
    expect(isRedisClusterUrl('rediss://cluster.example:6379')).toBe(false);
  });

  it('reads the seed nodes, the credentials and TLS', () => {
    expect(parseRedisClusterUrl('redis-cluster://127.0.0.1:7000,127.0.0.1:7001')).toEqual({
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
      username: undefined,
      password: undefined,
      tls: false,
    });
    expect(parseRedisClusterUrl('rediss-cluster://app:p%40ss@node-1.example')).toEqual({
      nodes: [{ host: 'node-1.example', port: 6379 }],
      username: 'app',
      password: 'p@ss',
      tls: true,
    });
    expect(() => parseRedisClusterUrl('redis-cluster://127.0.0.1:notaport')).toThrow(/host:port/);
    expect(() => parseRedisClusterUrl('redis://127.0.0.1')).toThrow(/redis-cluster/);
  });

  it('opens a Cluster client for a cluster URL and a single-node client otherwise', () => {
    const cluster: unknown = createRedisConnection({
      url: 'redis-cluster://127.0.0.1:1',
      role: 'client',
    });
    const single: unknown = createRedisConnection({ url: 'redis://127.0.0.1:1', role: 'client' });
    try {
      expect(cluster).toBeInstanceOf(Cluster);
      expect(single).toBeInstanceOf(Redis);
    } finally {
      (cluster as Cluster).disconnect();
      (single as Redis).disconnect();
    }
  });

  it('treats the cluster being down or resharding as Redis unavailable', () => {
    expect(isRedisUnavailableError(new Error('CLUSTERDOWN The cluster is down'))).toBe(true);
    expect(isRedisUnavailableError(new Error('None of startup nodes is available'))).toBe(true);
    expect(isRedisUnavailableError(new Error('WRONGTYPE Operation'))).toBe(false);
  });

  it('asks for a hash-tagged prefix on a cluster, and only there', () => {
    expect(hasHashTag('{llmq}')).toBe(true);
    expect(hasHashTag('app{llmq}')).toBe(true);
    expect(hasHashTag('llmq')).toBe(false);
    expect(hasHashTag('{}llmq')).toBe(false);
    expect(hasHashTag('llmq{')).toBe(false);
    const cluster = createRedisConnection({ url: 'redis-cluster://127.0.0.1:1', role: 'client' });
    const single = createRedisConnection({ url: 'redis://127.0.0.1:1', role: 'client' });
    try {
      expect(() => assertClusterKeyPrefix(cluster, 'llmq')).toThrow(/\{llmq\}/);
      expect(() => assertClusterKeyPrefix(cluster, '{llmq}')).not.toThrow();
      expect(() => assertClusterKeyPrefix(single, 'llmq')).not.toThrow();
    } finally {
      cluster.disconnect();
      single.disconnect();
    }
  });
});
