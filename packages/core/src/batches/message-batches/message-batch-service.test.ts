import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import type { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadModelCatalog } from '../../catalog/load-model-catalog';
import { isClientError } from '../../errors/client-error';
import { RedisFileStorage } from '../../files/redis-file-storage';
import { createQueue } from '../../jobs/create-queue';
import { RedisKeys } from '../../redis/redis-keys';
import { BatchFinalizer } from '../batch-finalizer';
import { BatchIngester } from '../batch-ingester';
import { batchLineJobDataSchema } from '../batch-jobs';
import { completedBatchLine, failedBatchLine, skippedBatchLine } from '../batch-output-line';
import { BatchStore } from '../batch-store';
import { MessageBatchService } from './message-batch-service';

const catalog = loadModelCatalog(undefined, {
  availableProviders: ['simulator-openai', 'simulator-anthropic', 'local'],
});

let redis: Redis;
let keys: RedisKeys;
let store: BatchStore;
let files: RedisFileStorage;
let lineQueue: Queue;
let controlQueue: Queue;
let service: MessageBatchService;
let ingester: BatchIngester;

beforeEach(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  keys = new RedisKeys(uniquePrefix('test-message-batches'));
  store = new BatchStore(redis, keys, { ttlSeconds: 600 });
  files = new RedisFileStorage(redis, keys, { ttlSeconds: 600, chunkBytes: 256 });
  lineQueue = createQueue('batch-line', redis, keys);
  controlQueue = createQueue('batch-ingest', redis, keys);
  const limits = { maxRequests: 100, maxBodyBytes: 1_000_000 };
  service = new MessageBatchService({ store, files, controlQueue, catalog, limits });
  ingester = new BatchIngester({
    store,
    files,
    lineQueue,
    controlQueue,
    catalog,
    defaultModel: 'sim-gpt-fast',
    attempts: 2,
    limits: { maxFileBytes: 1_000_000, maxLines: 100 },
  });
});

afterEach(async () => {
  await Promise.all([lineQueue.close(), controlQueue.close()]);
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

const weatherTool = {
  name: 'get_weather',
  input_schema: { type: 'object', properties: { city: { type: 'string' } } },
};

function requests(count: number) {
  return Array.from({ length: count }, (_, index) => ({
    custom_id: `q-${index}`,
    params: {
      model: index === 0 ? 'sim-claude-fast' : 'sim-gpt-fast',
      max_tokens: 64,
      system: 'Be brief.',
      messages: [{ role: 'user', content: `question ${index}` }],
      tools: [weatherTool],
      tool_choice: { type: 'any' },
      thinking: { type: 'enabled', budget_tokens: 2048 },
    },
  }));
}

async function collect<T>(lines: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

test('queued lines carry the full neutral request and the /v1/messages endpoint', async () => {
  const batch = await service.create('t', { requests: requests(3) });
  expect(batch).toMatchObject({ endpoint: '/v1/messages', status: 'validating' });
  expect(batch.counts.total).toBe(3);
  expect(await ingester.ingest(batch.id)).toBe('enqueued');
  const jobs = await lineQueue.getJobs(['waiting', 'prioritized']);
  const lines = jobs
    .map((job) => batchLineJobDataSchema.parse(job.data))
    .sort((a, b) => a.index - b.index);
  expect(lines.map((line) => [line.customId, line.model, line.endpoint])).toEqual([
    ['q-0', 'sim-claude-fast', '/v1/messages'],
    ['q-1', 'sim-gpt-fast', '/v1/messages'],
    ['q-2', 'sim-gpt-fast', '/v1/messages'],
  ]);
  expect(lines[0]?.request).toEqual({
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'question 0' },
    ],
    maxTokens: 64,
    tools: [{ name: 'get_weather', parameters: weatherTool.input_schema }],
    toolChoice: 'required',
    reasoning: { budgetTokens: 2048 },
  });
});

test('an ended batch reads back as Anthropic result lines, then is deleted with its files', async () => {
  const batch = await service.create('t', { requests: requests(3) });
  await expect(collect(service.results('t', batch.id))).rejects.toMatchObject({
    code: 'batch_results_not_ready',
  });
  await ingester.ingest(batch.id);
  const message = { id: 'msg_x', type: 'message', content: [] };
  await store.recordLine(batch.id, 0, 'completed', completedBatchLine('q-0', 'r0', message));
  await store.recordLine(
    batch.id,
    1,
    'failed',
    failedBatchLine(
      'q-1',
      'r1',
      {
        code: 'provider_overloaded',
        message: 'busy',
        status_code: 529,
      },
      { endpoint: '/v1/messages' },
    ),
  );
  await store.cancel(batch.id, 't');
  await store.recordLine(batch.id, 2, 'skipped', skippedBatchLine('q-2', 'cancelled'));
  await new BatchFinalizer({ store, files }).finalize(batch.id);

  const results = await collect(service.results('t', batch.id));
  expect(results).toEqual([
    { custom_id: 'q-0', result: { type: 'succeeded', message } },
    {
      custom_id: 'q-1',
      result: {
        type: 'errored',
        error: {
          type: 'error',
          error: { type: 'overloaded_error', message: 'busy' },
          request_id: 'r1',
        },
      },
    },
    { custom_id: 'q-2', result: { type: 'canceled' } },
  ]);
  // Another tenant cannot read or delete it.
  await expect(collect(service.results('u', batch.id))).rejects.toMatchObject({
    code: 'batch_not_found',
  });
  await expect(service.delete('u', batch.id)).rejects.toMatchObject({ code: 'batch_not_found' });

  const ended = await service.get('t', batch.id);
  const fileIds = [ended.inputFileId, ended.outputFileId, ended.errorFileId];
  expect(fileIds.every((id) => id !== undefined)).toBe(true);
  await service.delete('t', batch.id);
  for (const id of fileIds) expect(await files.get(id ?? '')).toBeNull();
  await expect(service.get('t', batch.id)).rejects.toMatchObject({ code: 'batch_not_found' });
});

test('a batch refused before running reports every request errored with the reason', async () => {
  const batch = await service.create('t', { requests: requests(2) });
  await store.failValidation(
    batch.id,
    [{ code: 'budget_exceeded', message: 'over budget', param: null, line: null }],
    2,
  );
  const results = await collect(service.results('t', batch.id));
  expect(results).toEqual(
    ['q-0', 'q-1'].map((customId) => ({
      custom_id: customId,
      result: {
        type: 'errored',
        error: {
          type: 'error',
          error: { type: 'billing_error', message: 'over budget' },
          request_id: null,
        },
      },
    })),
  );
});

test('a batch whose ingest gave up and whose input cannot be read reports every request errored', async () => {
  const batch = await service.create('t', { requests: requests(3) });
  // Its input file's chunks are not a list any more: every read of it is a Redis error.
  await redis.del(keys.fileChunks(batch.inputFileId));
  await redis.set(keys.fileChunks(batch.inputFileId), 'not a list');
  await expect(ingester.ingest(batch.id)).rejects.toThrow(/WRONGTYPE/);
  expect(await ingester.fail(batch.id, { kind: 'attempts', attempts: 5 })).toEqual({
    outcome: 'failed',
  });
  const results = await collect(service.results('t', batch.id));
  expect(results.map((line) => line.custom_id)).toEqual(['q-0', 'q-1', 'q-2']);
  for (const line of results)
    expect(line.result).toEqual({
      type: 'errored',
      error: {
        type: 'error',
        error: {
          type: 'api_error',
          message:
            "the batch's input could not be ingested: all 5 attempts failed on an internal error",
        },
        request_id: null,
      },
    });
  // Deleting it drops the custom_ids kept for it too.
  await service.delete('t', batch.id);
  expect(await redis.exists(keys.batchCustomIds(batch.id))).toBe(0);
});

test('a running batch cannot be deleted; a cancel of another kind of batch id is a 404', async () => {
  const batch = await service.create('t', { requests: requests(1) });
  const refused = await service.delete('t', batch.id).catch((error) => error);
  expect(isClientError(refused) && [refused.status, refused.code]).toEqual([
    400,
    'batch_still_processing',
  ]);
  const openaiId = `batch_${'0'.repeat(32)}`;
  await expect(service.cancel('t', openaiId)).rejects.toMatchObject({ code: 'batch_not_found' });
});
