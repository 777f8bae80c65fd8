import {
  accountMaxTokensDefaults,
  BudgetStore,
  CallJournal,
  CircuitBreaker,
  CostLedger,
  coalesceWrites,
  createMetrics,
  createProviderBatchClients,
  createProviderRegistry,
  createQueue,
  createRedisConnection,
  createRequestExecutor,
  createTracing,
  DeploymentPicker,
  defaultProviderAccounts,
  deploymentAccounts,
  deploymentKeyNames,
  FilterPolicyStore,
  JobStore,
  type LlmqMetrics,
  type Logger,
  loadModelCatalog,
  logRedisStateChanges,
  modelTraitsOf,
  ProviderRateLimiter,
  RedisKeys,
  TenantFlowStore,
  type Tracing,
  toBudgetDefaults,
  toCircuitBreakerOptions,
  toProviderSettings,
  toRateLimiterOptions,
  toRetryPolicy,
  watchRedisConnection,
} from '@llmq/core';
import type { Redis } from 'ioredis';
import { rateLimitTelemetry } from './pipeline/rate-limit-telemetry';
import type { RunnerEnv } from './runner-env';

/**
 * Everything a job run needs, shared by an app's processors: Redis, stores, catalog, providers,
 * the provider stage.
 */
export type RunnerServices = ReturnType<typeof createRunnerServices>;

/**
 * The API keys of catalog deployments that have their own (`api_key_env` names the variable),
 * by variable name. The app's env.ts reads them, as it is the only file that reads `process.env`.
 */
export type ReadDeploymentKeys = (names: readonly string[]) => Record<string, string | undefined>;

/**
 * What an app that already has its own gives the runner instead of a new one: its metrics
 * (every count of a job run, the rate limiter's and the budgets' too, then shows on the app's
 * `/metrics`; the app watches its own queues) and its tracing (spans under its service name).
 */
export interface RunnerHost {
  metrics?: LlmqMetrics;
  tracing?: Tracing;
  /** The runner's Redis connection's name in `CLIENT LIST` (default `llmq-worker`). */
  connectionName?: string;
}

/**
 * Builds the shared parts of a job run from the app's environment. A bad catalog throws here,
 * naming the file and the offending entry, so the process stops before taking any job.
 */
export function createRunnerServices(
  env: RunnerEnv,
  logger: Logger,
  readDeploymentKeys: ReadDeploymentKeys,
  host: RunnerHost = {},
) {
  const keys = new RedisKeys(env.LLMQ_PREFIX);
  const connection = createRedisConnection({
    url: env.REDIS_URL,
    role: 'worker',
    name: host.connectionName ?? 'llmq-worker',
  });
  // One warning when Redis goes away and one when it is back, for this connection and every
  // duplicate of it (BullMQ's blocking ones, the event readers'), not one per failed command.
  watchRedisConnection(connection, 'worker', logRedisStateChanges(logger));
  // The commands the worker's jobs send while it handles one batch of I/O (BullMQ's, the job
  // store's, the guards') leave in one socket write (see coalesced-writes.ts); each job still
  // waits for the replies it needs, in the same order.
  coalesceWrites(connection);
  const eventLimits = {
    maxLength: env.JOB_EVENTS_MAX_LENGTH,
    ttlSeconds: env.JOB_EVENTS_TTL_SECONDS,
  };
  const store = new JobStore(connection, keys, {
    resultTtlSeconds: env.RESULT_TTL_SECONDS,
    events: eventLimits,
  });
  const metrics = host.metrics ?? createMetrics();
  const queues = countQueues(connection, keys);
  if (!host.metrics) metrics.watchQueues(queues.prompt, queues.interactive, queues.bulk);
  const tracing =
    host.tracing ??
    createTracing({
      serviceName: env.OTEL_SERVICE_NAME ?? 'llmq-worker',
      otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    });
  const accounts = defaultProviderAccounts(toProviderSettings(env));
  const catalog = loadModelCatalog(env.MODEL_CATALOG_PATH, {
    availableProviders: accounts.map((account) => account.id),
    maxTokensDefaults: accountMaxTokensDefaults(accounts),
  });
  // Deployments with their own base URL or key are accounts of their own.
  const providers = createProviderRegistry([
    ...accounts,
    ...deploymentAccounts(catalog, accounts, readDeploymentKeys(deploymentKeyNames(catalog))),
  ]);
  const breaker = createBreaker(connection, keys, env, logger);
  metrics.watchCircuits(breaker);
  // Provider RPM/TPM limits and 429 pauses, shared with every other worker through Redis.
  const limiter = new ProviderRateLimiter(
    connection,
    keys,
    catalog,
    toRateLimiterOptions(env),
    rateLimitTelemetry(logger, metrics),
  );
  // A model's deployments are picked on state every worker shares through Redis.
  const chooser = new DeploymentPicker(connection, keys, {}, (error) =>
    logger.warn('deployment-state-error', {
      event: 'deployment-state-error',
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  // One provider stage for prompt jobs and batch lines: same chains, retries and breakers.
  const execute = createRequestExecutor({
    catalog,
    breaker,
    limiter,
    chooser,
    policy: toRetryPolicy(env),
    resolveModel: (entry, deployment) =>
      providers.has(deployment.account)
        ? providers.languageModel(
            deployment.account,
            deployment.upstream_model,
            modelTraitsOf(entry),
          )
        : undefined,
  });
  return {
    keys,
    connection,
    eventLimits,
    store,
    metrics,
    queues,
    tracing,
    catalog,
    providers,
    // Provider batch APIs (OpenAI Batch, Anthropic Message Batches) of the accounts that have one.
    batchClients: createProviderBatchClients(accounts),
    breaker,
    limiter,
    chooser,
    execute,
    filterPolicies: new FilterPolicyStore(connection, keys, {
      defaults: env.FILTER_POLICY,
      cacheTtlMs: env.FILTER_POLICY_CACHE_MS,
    }),
    ledger: new CostLedger(connection, keys, { retentionDays: env.USAGE_RETENTION_DAYS }),
    // Provider calls are recorded before they are made, so a call a crash cuts off is counted.
    journal: new CallJournal(connection, keys),
    // Tenants' lane weights and running-job caps (set through the admin API).
    flows: new TenantFlowStore(connection, keys),
    budgets: new BudgetStore(connection, keys, {
      defaults: toBudgetDefaults(env),
      reservationTtlSeconds: env.BUDGET_RESERVATION_TTL_SECONDS,
      logger,
      metrics,
    }),
  };
}

/** The circuit breakers shared by every worker, logging each state change. */
function createBreaker(
  connection: Redis,
  keys: RedisKeys,
  env: RunnerEnv,
  logger: Logger,
): CircuitBreaker {
  return new CircuitBreaker(
    connection,
    keys,
    toCircuitBreakerOptions(env),
    (change) =>
      logger.warn(`circuit-${change.to.replace('_', '-')}`, {
        event: `circuit-${change.to.replace('_', '-')}`,
        provider: change.provider,
        model: change.model,
        from: change.from,
      }),
    (error) =>
      logger.warn('circuit-record-error', {
        event: 'circuit-record-error',
        error: error instanceof Error ? error.message : String(error),
      }),
  );
}

/** Queue handles that only read job counts (llm_queue_length at scrape time, lane balancing). */
function countQueues(connection: Redis, keys: RedisKeys) {
  return {
    prompt: createQueue('prompt', connection, keys),
    interactive: createQueue('interactivePrompt', connection, keys),
    bulk: createQueue('batch-line', connection, keys),
  };
}
