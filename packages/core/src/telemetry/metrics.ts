import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every Prometheus metric llmq exports, named in this one place (Prometheus conventions:
 * `_total` counters, `_seconds` durations, base units). Each process builds one registry with
 * {@link createMetrics} and serves it on its own `/metrics`; dashboards and alert rules refer
 * only to names listed here (a test checks the Grafana dashboard against this registry).
 *
 * Label values are closed sets or bounded ids (model, provider, queue, tenant): never job ids
 * or free text, which would explode the series count.
 */
export function createMetrics(options: MetricsOptions = {}) {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const queues: QueueCountSource[] = [];
  const redisSources: RedisInfoSource[] = [];
  const circuitSources: CircuitStateSource[] = [];
  const batchSources: BatchStatusSource[] = [];

  const metrics = {
    registry,

    // ---- provider calls (the seed's metrics) ----
    /** Provider calls by catalog model and outcome (`status`: `success` | `error`). */
    llmRequests: new Counter({
      name: 'llm_requests_total',
      help: 'LLM provider calls, by catalog model and outcome (success, error).',
      labelNames: ['model', 'status'] as const,
      registers,
    }),
    /**
     * Provider calls of models with several deployments, by deployment and outcome (the
     * deployments are the catalog's, so the label stays bounded).
     */
    llmDeploymentRequests: new Counter({
      name: 'llm_deployment_requests_total',
      help: 'LLM provider calls of models with several deployments, by catalog model, deployment and outcome (success, error).',
      labelNames: ['model', 'deployment', 'status'] as const,
      registers,
    }),
    /** Provider call latency, seconds, per catalog model (the seed's buckets). */
    llmLatency: new Histogram({
      name: 'llm_latency_seconds',
      help: 'LLM provider call latency in seconds, per catalog model.',
      labelNames: ['model'] as const,
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    /** Tokens the provider reported (`type`: `input` | `output` | `cached_input`). */
    llmTokens: new Counter({
      name: 'llm_tokens_total',
      help: 'Tokens reported by providers, by catalog model and type (input, output, cached_input).',
      labelNames: ['model', 'type'] as const,
      registers,
    }),
    /** Batch lines per provider call of micro-batched embeddings and completions calls. */
    microBatchSize: new Histogram({
      name: 'llm_micro_batch_size',
      help: 'Batch lines sent in one provider call by micro-batching, per catalog model and endpoint (completions, embeddings).',
      labelNames: ['model', 'endpoint'] as const,
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    /** Spend in US dollars per catalog model (fed by the cost ledger). */
    llmCost: new Counter({
      name: 'llm_cost_dollars',
      help: 'Spend on LLM calls in US dollars, per catalog model and service tier.',
      labelNames: ['model', 'tier'] as const,
      registers,
    }),
    /** Answers served from a cache (`cache_type`: `exact` | `semantic` | `provider`). */
    cacheHits: new Counter({
      name: 'llm_cache_hits_total',
      help: 'Answers served from a cache, by cache type (exact, semantic).',
      labelNames: ['cache_type'] as const,
      registers,
    }),
    /** Time to the first streamed token, seconds, per catalog model. */
    timeToFirstToken: new Histogram({
      name: 'llm_time_to_first_token_seconds',
      help: 'Time from the start of a streamed provider call to its first token, in seconds.',
      labelNames: ['model'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers,
    }),

    // ---- jobs and queues ----
    /**
     * Jobs per queue and BullMQ state (`waiting`, `prioritized`, `delayed`, `active`,
     * `completed`, `failed`, `waiting-children`), read at scrape time with `getJobCounts`
     * (one O(1) command per state), never by scanning jobs.
     */
    queueLength: new Gauge({
      name: 'llm_queue_length',
      help: 'Jobs per queue and state, read from BullMQ at scrape time.',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        await Promise.all(queues.map((source) => collectQueue(this, source)));
      },
    }),
    /** Time a job waited between submission and its first start, seconds. */
    jobQueueWait: new Histogram({
      name: 'llm_job_queue_wait_seconds',
      help: 'Time from job submission to the start of its first attempt, in seconds.',
      labelNames: ['queue'] as const,
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers,
    }),
    /** Finished job attempts (`outcome`: `completed` | `failed` | `retried` | `skipped`). */
    jobs: new Counter({
      name: 'llm_jobs_total',
      help: 'Job attempts that ended, by queue and outcome (completed, failed, retried, skipped).',
      labelNames: ['queue', 'outcome'] as const,
      registers,
    }),

    // ---- resilience and limits ----
    /** Circuit breaker state per provider and model: 0 closed, 1 half-open, 2 open. */
    circuitState: new Gauge({
      name: 'llm_circuit_state',
      help: 'Circuit breaker state per provider and model: 0 closed, 1 half-open, 2 open.',
      labelNames: ['provider', 'model'] as const,
      registers,
      // Read from Redis at scrape time: the state is shared by every worker, so each one
      // reports the same truth rather than only the changes it happened to make.
      async collect() {
        for (const source of circuitSources) {
          const states = await source.getCircuitStates().catch(() => []);
          for (const circuit of states) {
            const value = circuit.state === 'open' ? 2 : circuit.state === 'half_open' ? 1 : 0;
            this.set({ provider: circuit.provider, model: circuit.model }, value);
          }
        }
      },
    }),
    /** Calls moved to the next model of a fallback chain. */
    fallbacks: new Counter({
      name: 'llm_fallbacks_total',
      help: 'Provider fallbacks, from one catalog model to the next, by reason.',
      labelNames: ['from_model', 'to_model', 'reason'] as const,
      registers,
    }),
    /**
     * Provider calls that had to wait for a rate limit, slept in the worker or parked
     * (`limit`: `rpm` | `tpm` | `retry_after` | `provider_headers`).
     */
    rateLimitDelays: new Counter({
      name: 'llm_rate_limit_delays_total',
      help: 'Provider calls that waited for a rate limit, by reason (rpm, tpm, retry_after, provider_headers).',
      labelNames: ['provider', 'model', 'limit'] as const,
      registers,
    }),
    /** Total delay imposed by rate limits, seconds. */
    rateLimitDelaySeconds: new Counter({
      name: 'llm_rate_limit_delay_seconds_total',
      help: 'Total delay imposed on jobs by provider rate limits, in seconds.',
      labelNames: ['provider', 'model'] as const,
      registers,
    }),
    /** How long calls waited for a provider rate limit, seconds (`limit`: why). */
    rateLimitWaitSeconds: new Histogram({
      name: 'llm_rate_limit_wait_seconds',
      help: 'Waits imposed on provider calls by rate limits, in seconds, by reason (rpm, tpm, retry_after, provider_headers).',
      labelNames: ['provider', 'model', 'limit'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60],
      registers,
    }),
    /** Models paused for every worker (`reason`: `retry_after` | `provider_headers`). */
    rateLimitPauses: new Counter({
      name: 'llm_rate_limit_pauses_total',
      help: 'Provider models paused for every worker, by reason (retry_after, provider_headers).',
      labelNames: ['provider', 'model', 'reason'] as const,
      registers,
    }),
    /** Share of the tenant's budget spent in the current period (0–1, may exceed 1). */
    tenantBudgetUsed: new Gauge({
      name: 'llm_tenant_budget_used_ratio',
      help: "Share of the tenant's spending budget used in the current period (1 = exhausted).",
      labelNames: ['tenant'] as const,
      registers,
    }),

    /** A tenant's soft budget was crossed (counted once per tenant and period). */
    budgetSoftExceeded: new Counter({
      name: 'llm_budget_soft_exceeded_total',
      help: 'Soft spending budgets crossed, by period (daily, monthly); once per tenant and period.',
      labelNames: ['period'] as const,
      registers,
    }),

    // ---- durability ----
    /** Accepted jobs whose lost queue entry the submission sweeper enqueued again. */
    submissionsRequeued: new Counter({
      name: 'llm_submissions_requeued_total',
      help: 'Accepted jobs whose queue entry a crash lost, enqueued again by the submission sweeper.',
      registers,
    }),
    /** Batches whose ingest and expiry jobs a crash lost at creation, queued again by the batch sweeper. */
    batchesRequeued: new Counter({
      name: 'llm_batches_requeued_total',
      help: 'Batches whose ingest and expiry jobs a crash or Redis error lost at creation, queued again by the batch sweeper.',
      registers,
    }),
    /**
     * Batches the batch end sweeper ended after their control job was lost: `action`
     * `finalize_requeued` (a claimed finalisation queued again) or `ingest_failed` (an ingest
     * that stopped without failing its batch).
     */
    batchEndsRecovered: new Counter({
      name: 'llm_batch_ends_recovered_total',
      help: 'Batches stuck after their finalise or ingest job was lost (a crash, a Redis error, a job that failed its last attempt), ended by the batch end sweeper, per action.',
      labelNames: ['action'] as const,
      registers,
    }),
    /**
     * Provider calls found started but never finished (their worker died mid-call): each was
     * probably billed and is made again by the job's next run.
     */
    providerCallsReexecuted: new Counter({
      name: 'llm_provider_calls_reexecuted_total',
      help: 'Provider calls cut off by a crash (started, never finished) whose job ran again, per catalog model.',
      labelNames: ['model'] as const,
      registers,
    }),

    // ---- delivery ----
    /** Webhook delivery attempts (`outcome`: `success` | `failure` | `exhausted`). */
    webhookDeliveries: new Counter({
      name: 'llm_webhook_deliveries_total',
      help: 'Webhook delivery attempts, by outcome (success, failure, exhausted).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    /**
     * Batch lines that reached a final state, counted once each (`outcome`: `completed` |
     * `failed` | `cancelled` | `expired` | `batch_failed`; the last three were not run, or
     * for `batch_failed` not answered before their batch's ingest gave up).
     */
    batchRequests: new Counter({
      name: 'llm_batch_requests_total',
      help: 'Batch lines that finished, by outcome (completed, failed, cancelled, expired, batch_failed).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    /**
     * Batches per live status (`validating`, `in_progress`, `finalizing`, `cancelling`), across
     * every tenant, read at scrape time from the counts the batch store keeps.
     */
    batches: new Gauge({
      name: 'llm_batches',
      help: 'Batches per live status (validating, in_progress, finalizing, cancelling).',
      labelNames: ['status'] as const,
      registers,
      async collect() {
        await Promise.all(batchSources.map((source) => collectBatches(metrics, source)));
      },
    }),

    // ---- HTTP and Redis ----
    /** API request duration, seconds, by method, route pattern and status code. */
    httpRequestDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration in seconds, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    /** Redis `used_memory`, bytes, read from `INFO memory` at scrape time. */
    redisMemoryUsed: new Gauge({
      name: 'llm_redis_memory_used_bytes',
      help: 'Redis used_memory in bytes, read at scrape time.',
      registers,
      async collect() {
        await Promise.all(redisSources.map((source) => collectRedis(metrics, source)));
      },
    }),
    /** Redis `maxmemory`, bytes (0 = no limit). */
    redisMemoryMax: new Gauge({
      name: 'llm_redis_memory_max_bytes',
      help: 'Redis maxmemory in bytes (0 = no limit), read at scrape time.',
      registers,
    }),

    /** Reports these queues' job counts in `llm_queue_length` at every scrape. */
    watchQueues(...sources: QueueCountSource[]): void {
      queues.push(...sources);
    },
    /** Reports every circuit's state in `llm_circuit_state` at every scrape. */
    watchCircuits(source: CircuitStateSource): void {
      circuitSources.push(source);
    },
    /** Reports the batches per live status in `llm_batches` at every scrape. */
    watchBatches(source: BatchStatusSource): void {
      batchSources.push(source);
    },
    /** Reports this Redis's memory use in `llm_redis_memory_*` at every scrape. */
    watchRedis(source: RedisInfoSource): void {
      redisSources.push(source);
    },
  };
  return metrics;
}

export type LlmqMetrics = ReturnType<typeof createMetrics>;

export interface MetricsOptions {
  /** Also export Node's process metrics (CPU, memory, event loop lag); default true. */
  defaultMetrics?: boolean;
}

/** The part of a BullMQ `Queue` the queue gauge needs. */
export interface QueueCountSource {
  readonly name: string;
  getJobCounts(...types: QueueState[]): Promise<Record<string, number>>;
}

/** The part of a `CircuitBreaker` the circuit gauge needs. */
export interface CircuitStateSource {
  getCircuitStates(): Promise<
    Array<{ provider: string; model: string; state: 'closed' | 'open' | 'half_open' }>
  >;
}

/** The part of a `BatchStore` the batch gauge needs. */
export interface BatchStatusSource {
  statusCounts(): Promise<Record<string, number>>;
}

/** The part of an ioredis client the Redis memory gauges need. */
export interface RedisInfoSource {
  info(section: 'memory'): Promise<string>;
}

const queueStates = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'completed',
  'failed',
  'waiting-children',
] as const;
type QueueState = (typeof queueStates)[number];

// A scrape must answer even when Redis does not: a failed read keeps the last values, and the
// Redis being down shows up in `up`/readiness, not as a broken /metrics.
const scrapeTimeoutMs = 1000;

async function collectQueue(
  gauge: Gauge<'queue' | 'state'>,
  source: QueueCountSource,
): Promise<void> {
  const counts = await withTimeout(source.getJobCounts(...queueStates));
  if (!counts) return;
  for (const state of queueStates) gauge.set({ queue: source.name, state }, counts[state] ?? 0);
}

async function collectBatches(metrics: LlmqMetrics, source: BatchStatusSource): Promise<void> {
  const counts = await withTimeout(source.statusCounts());
  if (!counts) return;
  for (const [status, count] of Object.entries(counts)) metrics.batches.set({ status }, count);
}

async function collectRedis(metrics: LlmqMetrics, source: RedisInfoSource): Promise<void> {
  const info = await withTimeout(source.info('memory'));
  if (!info) return;
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1]);
  const used = field('used_memory');
  const max = field('maxmemory');
  if (Number.isFinite(used)) metrics.redisMemoryUsed.set(used);
  if (Number.isFinite(max)) metrics.redisMemoryMax.set(max);
}

async function withTimeout<T>(promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, scrapeTimeoutMs, undefined);
  });
  try {
    return await Promise.race([promise.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The Content-Type of {@link LlmqMetrics.registry}'s text exposition. */
export function metricsContentType(metrics: LlmqMetrics): string {
  return metrics.registry.contentType;
}
