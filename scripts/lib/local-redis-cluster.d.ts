/** A throwaway Redis Cluster on loopback (see local-redis-cluster.js). */
export interface LocalRedisCluster {
  /** `redis-cluster://127.0.0.1:<port>`: one seed node, the client finds the others. */
  url: string;
  ports: number[];
  /** Kills every node and removes their folders. */
  stop(): Promise<void>;
}

export function startRedisCluster(options: {
  dir: string;
  masters?: number;
}): Promise<LocalRedisCluster>;
