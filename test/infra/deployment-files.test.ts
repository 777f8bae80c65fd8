import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repositoryRoot, waitFor } from '@llmq/testing';
import { Redis } from 'ioredis';
import { parse, parseAllDocuments } from 'yaml';
import { loadApiEnv } from '../../apps/api/src/env';
import { loadWorkerEnv } from '../../apps/worker/src/env';
import { workerNodeArguments } from '../../apps/worker/src/node-arguments';

const infra = path.join(repositoryRoot, 'infra');

/** A Dockerfile's exec-form `CMD`, as its list of words. */
function commandOf(dockerfile: string): string[] {
  const json = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
  return json === undefined ? [] : (JSON.parse(json) as string[]);
}
const read = (file: string) => readFileSync(path.join(infra, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
  stop_grace_period?: string;
  healthcheck?: { test: string[] };
}

// No Docker engine in CI: `docker compose config` is replaced by these checks of the file's
// structure and of every reference it makes (files, services, volumes, ports, env schemas).
describe('infra/docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  };
  const services = compose.services;
  const seconds = (value = '10s') => Number(/^(\d+)s$/.exec(value)?.[1]);

  it('runs Redis, the API, two workers, the simulator, Prometheus and Grafana', () => {
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        'redis',
        'api',
        'worker-1',
        'worker-2',
        'simulator',
        'prometheus',
        'grafana',
      ]),
    );
    for (const [name, service] of Object.entries(services))
      expect({ name, runnable: Boolean(service.image || service.build) }).toEqual({
        name,
        runnable: true,
      });
  });

  it('builds from Dockerfiles that exist, multi-stage and non-root', () => {
    for (const service of Object.values(services).filter((item) => item.build)) {
      const context = path.resolve(infra, service.build?.context ?? '.');
      const dockerfile = path.join(context, service.build?.dockerfile ?? 'Dockerfile');
      expect(existsSync(dockerfile)).toBe(true);
      const text = readFileSync(dockerfile, 'utf8');
      expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
      expect(text).toMatch(/^USER node$/m);
      const entry = commandOf(text).at(-1) ?? '';
      expect(
        existsSync(
          path.join(repositoryRoot, entry.replace('/dist/', '/src/').replace(/\.js$/, '.ts')),
        ),
      ).toBe(true);
    }
  });

  it("starts the worker with node's own arguments, as npm start and the benchmarks do", () => {
    const text = readFileSync(path.join(infra, 'docker', 'worker.Dockerfile'), 'utf8');
    expect(commandOf(text)).toEqual(['node', ...workerNodeArguments, 'apps/worker/dist/main.js']);
    // npm start and the bench harness read the same list from the built module.
    for (const script of ['scripts/start.mjs', 'bench/lib/harness.mjs'])
      expect(readFileSync(path.join(repositoryRoot, script), 'utf8')).toContain(
        'node-arguments.js',
      );
  });

  it('mounts files that exist and volumes that are declared', () => {
    for (const service of Object.values(services)) {
      for (const volume of service.volumes ?? []) {
        const [source = ''] = volume.split(':');
        if (source.startsWith('.')) expect(existsSync(path.resolve(infra, source))).toBe(true);
        else expect(Object.keys(compose.volumes)).toContain(source);
      }
    }
  });

  it('depends only on services that exist, and publishes well-formed ports', () => {
    for (const service of Object.values(services)) {
      const dependencies = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dependency of dependencies) expect(Object.keys(services)).toContain(dependency);
      for (const port of service.ports ?? []) expect(port).toMatch(/^\d+:\d+$/);
    }
    const published = Object.values(services).flatMap((service) =>
      (service.ports ?? []).map((port) => port.split(':')[0]),
    );
    expect(new Set(published).size).toBe(published.length);
  });

  it('gives the API and workers an environment their env schemas accept', () => {
    const api = loadApiEnv(services.api?.environment);
    expect(api.METRICS_PORT).toBe(9464);
    // The API waits for the sync jobs it runs itself (INLINE_CONCURRENCY) before it exits.
    expect(api.INLINE_CONCURRENCY).toBeGreaterThan(0);
    expect(seconds(services.api?.stop_grace_period) * 1000).toBeGreaterThan(
      api.SHUTDOWN_TIMEOUT_MS,
    );
    for (const name of ['worker-1', 'worker-2']) {
      const worker = loadWorkerEnv(services[name]?.environment);
      // Compose must wait longer than the worker's drain before it kills it.
      expect(seconds(services[name]?.stop_grace_period) * 1000).toBeGreaterThan(
        worker.SHUTDOWN_TIMEOUT_MS,
      );
    }
    for (const env of [services.api?.environment, services['worker-1']?.environment]) {
      expect(new URL(env?.REDIS_URL ?? '').hostname).toBe('redis');
      expect(Object.keys(services)).toContain(new URL(env?.SIMULATOR_URL ?? '').hostname);
      expect(Object.keys(services)).toContain(
        new URL(env?.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').hostname,
      );
    }
  });

  it('has Prometheus scrape the metrics ports of the API and both workers', () => {
    const config = parse(read('prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    const targets = config.scrape_configs.flatMap((job) =>
      job.static_configs.flatMap((group) => group.targets),
    );
    expect(targets).toEqual(
      expect.arrayContaining([
        `api:${services.api?.environment?.METRICS_PORT}`,
        `worker-1:${services['worker-1']?.environment?.WORKER_METRICS_PORT}`,
        `worker-2:${services['worker-2']?.environment?.WORKER_METRICS_PORT}`,
      ]),
    );
    expect(services.prometheus?.volumes).toContain(
      '../prometheus_rules.yml:/etc/prometheus/rules/llmq.yml:ro',
    );
    expect(config.rule_files).toContain('/etc/prometheus/rules/*.yml');
  });
});

type Labels = Record<string, string>;
interface Container {
  env: { name: string; value: string }[];
  envFrom: unknown[];
  livenessProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  resources: { requests: Labels; limits: Labels };
  lifecycle?: { preStop?: { exec?: { command?: string[] } } };
}
/** The fields of the manifests these tests read (each kind uses its own subset). */
interface K8sSpec {
  selector: { matchLabels: Labels } & Labels;
  template: {
    metadata: { labels: Labels };
    spec: {
      securityContext: { runAsNonRoot?: boolean };
      terminationGracePeriodSeconds: number;
      containers: Container[];
    };
  };
  scaleTargetRef: { name: string };
  triggers: { type: string; metadata: Labels }[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels };
  spec: K8sSpec;
}

describe('infra/k8s', () => {
  const kustomization = parse(read('k8s/kustomization.yaml')) as { resources: string[] };
  const objects: K8sObject[] = kustomization.resources.flatMap((file) =>
    parseAllDocuments(read(`k8s/${file}`)).map((document) => document.toJS() as K8sObject),
  );
  const ofKind = (kind: string) => objects.filter((object) => object.kind === kind);
  const deployment = (name: string) =>
    ofKind('Deployment').find((object) => object.metadata.name === name);
  const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
    Object.entries(selector).every(([key, value]) => labels[key] === value);

  it('deploys the API and the worker with probes, resources and non-root containers', () => {
    for (const name of ['llmq-api', 'llmq-worker']) {
      const spec = deployment(name)?.spec;
      if (!spec) throw new Error(`no Deployment ${name}`);
      expect(matches(spec.selector.matchLabels, spec.template.metadata.labels)).toBe(true);
      expect(spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      for (const container of spec.template.spec.containers) {
        expect(container.livenessProbe.httpGet.path).toBe('/healthz');
        expect(container.readinessProbe.httpGet.path).toMatch(/^\/(readyz|healthz)$/);
        expect(container.resources.requests).toMatchObject({
          cpu: expect.any(String),
          memory: expect.any(String),
        });
        expect(container.resources.limits.memory).toEqual(expect.any(String));
      }
    }
  });

  it('gives the API longer than the drain of its sync jobs and its preStop pause to stop', () => {
    const spec = deployment('llmq-api')?.spec.template.spec;
    const container = spec?.containers[0];
    const env = Object.fromEntries(container?.env.map((item) => [item.name, item.value]) ?? []);
    const api = loadApiEnv(env);
    const preStopSeconds = Number(container?.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
    expect(preStopSeconds).toBeGreaterThan(0);
    expect((spec?.terminationGracePeriodSeconds ?? 0) * 1000).toBeGreaterThan(
      api.SHUTDOWN_TIMEOUT_MS + preStopSeconds * 1000,
    );
  });

  it('gives workers longer than their drain timeout to stop', () => {
    const spec = deployment('llmq-worker')?.spec.template.spec;
    const container = spec?.containers[0];
    const env = Object.fromEntries(container?.env.map((item) => [item.name, item.value]) ?? []);
    const worker = loadWorkerEnv(env);
    expect((spec?.terminationGracePeriodSeconds ?? 0) * 1000).toBeGreaterThan(
      worker.SHUTDOWN_TIMEOUT_MS,
    );
    const config = ofKind('ConfigMap')[0]?.metadata.name;
    expect(container?.envFrom).toContainEqual({ configMapRef: { name: config } });
  });

  it('has a PodDisruptionBudget and a Service selecting each deployment', () => {
    for (const name of ['llmq-api', 'llmq-worker']) {
      const labels = deployment(name)?.spec.template.metadata.labels ?? {};
      expect(
        ofKind('PodDisruptionBudget').some((pdb) => matches(pdb.spec.selector.matchLabels, labels)),
      ).toBe(true);
      expect(ofKind('Service').some((service) => matches(service.spec.selector, labels))).toBe(
        true,
      );
    }
  });

  it('scales the workers with KEDA on the queue length metric', () => {
    const [scaled] = ofKind('ScaledObject');
    expect(deployment(scaled?.spec.scaleTargetRef.name ?? '')).toBeDefined();
    const trigger = scaled?.spec.triggers[0];
    expect(trigger?.type).toBe('prometheus');
    expect(trigger?.metadata.query).toContain('llm_queue_length');
    // Both lanes a client waits on scale the workers: a backlog of sync requests in the
    // interactive lane is the slowest answer llmq gives.
    const lanes = /queue=~"([^"]+)"/.exec(trigger?.metadata.query ?? '')?.[1]?.split('|') ?? [];
    expect(lanes.sort()).toEqual(['prompts-interactive', 'prompts-standard']);
    expect(Number(trigger?.metadata.threshold)).toBeGreaterThan(0);
  });

  it('keeps every object in the llmq namespace', () => {
    for (const object of objects.filter((item) => item.kind !== 'Namespace'))
      expect(object.metadata.namespace).toBe('llmq');
  });
});

describe('infra/redis.conf', () => {
  it('starts a real redis-server with AOF, noeviction and a maxmemory', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'llmq-redis-conf-'));
    const socket = path.join(directory, 'redis.sock');
    // Override only what a test needs: no TCP port, a private socket, the temp directory.
    const server = spawn(
      'redis-server',
      [
        path.join(infra, 'redis.conf'),
        '--port',
        '0',
        '--unixsocket',
        socket,
        '--bind',
        '127.0.0.1',
      ],
      { cwd: directory, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => server.once('exit', resolve));
    const client = new Redis({ path: socket, lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await waitFor(() => (existsSync(socket) ? true : undefined), { what: 'redis-server' });
      await client.connect();
      const config = async (name: string) => ((await client.config('GET', name)) as string[])[1];
      expect(await config('appendonly')).toBe('yes');
      expect(await config('appendfsync')).toBe('always');
      expect(await config('maxmemory-policy')).toBe('noeviction');
      expect(Number(await config('maxmemory'))).toBeGreaterThan(0);
      expect(await config('timeout')).toBe('0');
      expect(await config('stream-node-max-bytes')).toBe('512');
    } finally {
      client.disconnect();
      server.kill('SIGKILL');
      await exited;
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
