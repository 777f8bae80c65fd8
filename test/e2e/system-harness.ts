import { createRedisConnection, isRedisClusterUrl } from '@llmq/core';
import { startSimulator } from '@llmq/llm-simulator';
import {
  cleanupPrefix,
  freePort,
  type ServiceProcess,
  spawnService,
  testEnv,
  testRedisUrl,
  uniquePrefix,
  waitFor,
} from '@llmq/testing';
import { Redis } from 'ioredis';

export const apiKey = 'e2e-key-0000001';
/** The key of a second tenant, to check one tenant never sees another's jobs. */
export const otherTenantApiKey = 'e2e-key-other-0000002';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;

export interface SystemOptions {
  /** The Redis to run on (default: the test run's); `redis-cluster://` for a cluster. */
  redisUrl?: string;
  /** The key prefix (default: a unique one, hash-tagged `{...}` on a cluster). */
  prefix?: string;
  /** Extra environment for the API and the workers. */
  env?: Record<string, string>;
  /** Extra environment for worker processes. */
  workerEnv?: Record<string, string>;
  /** Extra environment for the API only (e.g. more `API_KEYS`). */
  apiEnv?: Record<string, string>;
  /** Worker processes to start now; `startSystem` resolves once each serves `/healthz` (or exited). */
  workers?: number;
  simulatorModels?: Parameters<typeof startSimulator>[0] extends infer O
    ? O extends { models?: infer M }
      ? M
      : never
    : never;
}

/**
 * One llmq installation for a test: the simulator in-process, the API and workers as real
 * processes (built dist), all on a private Redis key prefix that is removed afterwards.
 */
export async function startSystem(options: SystemOptions = {}) {
  const redisUrl = options.redisUrl ?? testEnv().LLMQ_TEST_REDIS_CLUSTER_URL ?? testRedisUrl();
  const cluster = isRedisClusterUrl(redisUrl);
  const prefix =
    options.prefix ?? (cluster ? `{${uniquePrefix('test-e2e')}}` : uniquePrefix('test-e2e'));
  const simulator: Simulator = await startSimulator({ models: options.simulatorModels });
  // On a cluster (or a Redis a chaos scenario restarts) the test's own client waits for Redis
  // instead of failing its reads.
  const redis =
    redisUrl !== testRedisUrl()
      ? createRedisConnection({ url: redisUrl, role: 'worker', name: 'llmq-e2e' })
      : new Redis(redisUrl);
  const port = await freePort();
  const baseEnv = {
    REDIS_URL: redisUrl,
    LLMQ_PREFIX: prefix,
    SIMULATOR_URL: simulator.url,
    LOG_LEVEL: 'warn',
    // Several workers share this host: each takes a free metrics port unless a test picks one.
    WORKER_METRICS_PORT: '0',
    ...options.env,
  };
  const api = spawnService('api', {
    ...baseEnv,
    PORT: String(port),
    HOST: '127.0.0.1',
    API_KEYS: `e2e:${apiKey},other:${otherTenantApiKey}`,
    ...options.apiEnv,
  });
  const workers: ServiceProcess[] = [];
  const apiUrl = `http://127.0.0.1:${port}`;

  const system = {
    prefix,
    simulator,
    redis,
    apiUrl,
    api,
    workers,
    startWorker(extraEnv: Record<string, string> = {}): ServiceProcess {
      const worker = spawnService('worker', { ...baseEnv, ...options.workerEnv, ...extraEnv });
      workers.push(worker);
      return worker;
    },
    async request(
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) {
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${apiKey}`,
          'Content-Type': 'application/json',
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : undefined,
      };
    },
    async submit(body: unknown): Promise<string> {
      const response = await system.request('POST', '/v1/jobs', body);
      if (response.status !== 202)
        throw new Error(`submit answered ${response.status}: ${JSON.stringify(response.body)}`);
      return response.body.id;
    },
    /** Polls a job until it is final. */
    async waitForJob(jobId: string, timeoutMs = 30_000) {
      return waitFor(
        async () => {
          const { body } = await system.request('GET', `/v1/jobs/${jobId}`);
          return ['completed', 'failed', 'cancelled'].includes(body?.status) ? body : undefined;
        },
        { timeoutMs, intervalMs: 50, what: `job ${jobId} to finish` },
      );
    },
    async stop() {
      await Promise.all([api.stop('SIGKILL'), ...workers.map((worker) => worker.stop('SIGKILL'))]);
      await simulator.close();
      await cleanupPrefix(redis, prefix);
      await redis.quit();
    },
  };

  try {
    await waitFor(
      async () => {
        if (api.child.exitCode !== null) throw new Error(`api exited early:\n${api.output()}`);
        const response = await fetch(`${apiUrl}/readyz`).catch(() => undefined);
        return response?.ok ? true : undefined;
      },
      { timeoutMs: 15_000, what: 'the API to be ready' },
    );
    const ready: Promise<void>[] = [];
    for (let index = 0; index < (options.workers ?? 1); index += 1) {
      // Its own metrics port, so the harness can see it serve: the worker opens it only after
      // its queues' connections are ready (apps/worker/src/main.ts). A test that starts a worker
      // meant to fail gets it back exited, not an error.
      const metricsPort = await freePort();
      const worker = system.startWorker({
        WORKER_METRICS_PORT: String(metricsPort),
        WORKER_METRICS_HOST: '127.0.0.1',
      });
      ready.push(workerReady(worker, metricsPort));
    }
    await Promise.all(ready);
  } catch (error) {
    await system.stop();
    throw error;
  }
  return system;
}

/** Resolves once the worker answers `/healthz` on its metrics port, or has exited. */
async function workerReady(worker: ServiceProcess, metricsPort: number): Promise<void> {
  try {
    await waitFor(
      async () => {
        if (worker.child.exitCode !== null || worker.child.signalCode !== null) return true;
        const response = await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(
          () => undefined,
        );
        return response?.ok ? true : undefined;
      },
      { timeoutMs: 20_000, what: 'the worker to be ready' },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; its output:\n${worker.output()}`);
  }
}
