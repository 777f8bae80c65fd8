import {
  createLogger,
  createProviderRegistry,
  createRedisConnection,
  defaultModelEntries,
  defaultProviderAccounts,
  JobStore,
  ModelCatalog,
  RedisKeys,
  toBatchLimits,
  toProviderSettings,
} from '@llmq/core';
import { startBatchProcessing } from './batches/start-batch-processing';
import { loadWorkerEnv } from './env';
import { createPromptPipeline } from './pipeline/prompt-pipeline';
import { startPromptWorker } from './prompt-worker';

async function main(): Promise<void> {
  const env = loadWorkerEnv();
  const logger = createLogger({ service: 'worker', level: env.LOG_LEVEL });
  const keys = new RedisKeys(env.LLMQ_PREFIX);
  const connection = createRedisConnection({
    url: env.REDIS_URL,
    role: 'worker',
    name: 'llmq-worker',
  });
  connection.on('error', (error) =>
    logger.warn('redis-error', { event: 'redis-error', error: error.message }),
  );
  const store = new JobStore(connection, keys, { resultTtlSeconds: env.RESULT_TTL_SECONDS });
  const settings = toProviderSettings(env);
  const catalog = new ModelCatalog(defaultModelEntries(settings));
  const providers = createProviderRegistry(defaultProviderAccounts(settings));
  const pipeline = createPromptPipeline({
    store,
    catalog,
    logger,
    resolveModel: (providerId, upstreamModel) =>
      providers.get(providerId) ? providers.languageModel(providerId, upstreamModel) : undefined,
  });
  const running = await startPromptWorker({
    connection,
    keys,
    store,
    logger,
    pipeline,
    concurrency: env.WORKER_CONCURRENCY,
    lockDurationMs: env.LOCK_DURATION_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS ?? env.LOCK_DURATION_MS,
    maxStalledCount: env.MAX_STALLED_COUNT,
  });
  const batchProcessing = await startBatchProcessing({
    connection,
    keys,
    catalog,
    resolveModel: (providerId, upstreamModel) =>
      providers.get(providerId) ? providers.languageModel(providerId, upstreamModel) : undefined,
    logger,
    defaultModel: env.DEFAULT_MODEL,
    attempts: env.JOB_ATTEMPTS,
    limits: toBatchLimits(env),
    fileTtlSeconds: env.FILE_TTL_SECONDS,
    lineConcurrency: env.BULK_WORKER_CONCURRENCY,
    lockDurationMs: env.LOCK_DURATION_MS,
    stalledIntervalMs: env.STALLED_INTERVAL_MS ?? env.LOCK_DURATION_MS,
    maxStalledCount: env.MAX_STALLED_COUNT,
  });
  logger.info('worker-start', {
    event: 'worker-start',
    concurrency: env.WORKER_CONCURRENCY,
    prefix: env.LLMQ_PREFIX,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('worker-stop', { event: 'worker-stop', signal });
    const [outcome] = await Promise.all([
      running.close(env.SHUTDOWN_TIMEOUT_MS),
      batchProcessing.close(env.SHUTDOWN_TIMEOUT_MS),
    ]);
    await providers.close();
    await connection.quit().catch(() => undefined);
    logger.info('worker-exit', { event: 'worker-exit', outcome });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `llmq worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
