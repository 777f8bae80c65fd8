import {
  BatchService,
  BatchStore,
  createLogger,
  createQueue,
  createRedisConnection,
  defaultModelEntries,
  IdempotencyStore,
  JobStore,
  JobSubmitter,
  ModelCatalog,
  RedisFileStorage,
  RedisKeys,
  toBatchLimits,
  toProviderSettings,
} from '@llmq/core';
import { createApp } from './app';
import { type ApiEnv, loadApiEnv } from './env';
import { ApiKeyRegistry, devApiKey } from './http/api-keys';

function apiKeysFrom(env: ApiEnv, warn: (message: string) => void): ApiKeyRegistry {
  if (env.API_KEYS) return ApiKeyRegistry.parse(env.API_KEYS);
  if (env.NODE_ENV === 'production') throw new Error('API_KEYS: required when NODE_ENV=production');
  warn(`API_KEYS is not set: accepting the development key "${devApiKey}" for tenant "dev"`);
  return new ApiKeyRegistry([{ tenant: 'dev', key: devApiKey }]);
}

async function main(): Promise<void> {
  const env = loadApiEnv();
  const logger = createLogger({ service: 'api', level: env.LOG_LEVEL });
  const keys = new RedisKeys(env.LLMQ_PREFIX);
  const redis = createRedisConnection({ url: env.REDIS_URL, role: 'client', name: 'llmq-api' });
  redis.on('error', (error) =>
    logger.warn('redis-error', { event: 'redis-error', error: error.message }),
  );
  const queue = createQueue('prompt', redis, keys);
  const store = new JobStore(redis, keys, { resultTtlSeconds: env.RESULT_TTL_SECONDS });
  const catalog = new ModelCatalog(defaultModelEntries(toProviderSettings(env)));
  const submitter = new JobSubmitter({
    queue,
    store,
    idempotency: new IdempotencyStore(redis, keys),
    catalog,
    defaultModel: env.DEFAULT_MODEL,
    attempts: env.JOB_ATTEMPTS,
  });
  const files = new RedisFileStorage(redis, keys, { ttlSeconds: env.FILE_TTL_SECONDS });
  const batchStore = new BatchStore(redis, keys, { ttlSeconds: env.FILE_TTL_SECONDS });
  const batchLimits = toBatchLimits(env);
  const controlQueue = createQueue('batch-ingest', redis, keys);
  const batches = new BatchService({ store: batchStore, files, controlQueue, limits: batchLimits });
  const apiKeys = apiKeysFrom(env, (message) => logger.warn(message, { event: 'config-warning' }));
  const app = createApp({
    redis,
    queue,
    store,
    submitter,
    apiKeys,
    logger,
    bodyLimit: env.BODY_LIMIT,
    files,
    batches,
    batchStore,
    batchLimits,
  });

  const server = app.listen(env.PORT, env.HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : env.PORT;
    logger.info('api-start', { event: 'api-start', port, prefix: env.LLMQ_PREFIX });
  });
  server.headersTimeout = 30_000;
  server.requestTimeout = 60_000;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('api-stop', { event: 'api-stop', signal });
    const forceExit = setTimeout(() => process.exit(1), 10_000);
    forceExit.unref();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await Promise.all([queue.close(), controlQueue.close()]);
    await redis.quit().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `llmq api failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
