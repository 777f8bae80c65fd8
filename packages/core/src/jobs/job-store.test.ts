import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { CostLedger } from '../cost/cost-ledger';
import { RedisKeys } from '../redis/redis-keys';
import { WebhookEndpointStore } from '../webhooks/webhook-endpoint-store';
import type { JobResult } from './job-record';
import { JobStore } from './job-store';

let redis: Redis;
let keys: RedisKeys;
let store: JobStore;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-store'));
  store = new JobStore(redis, keys, { resultTtlSeconds: 120 });
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

const result: JobResult = {
  text: 'hi',
  message: { role: 'assistant', content: 'hi' },
  finish_reason: 'stop',
  model: 'sim-gpt-fast',
  upstream_model: 'sim-gpt-fast',
  provider: 'simulator-openai',
  usage: { input_tokens: 3, output_tokens: 1, cached_input_tokens: 0, total_tokens: 4 },
  timings: { queue_wait_ms: 1, provider_ms: 2, total_ms: 3 },
};

async function newJob(id = 'job_1') {
  await store.create({
    id,
    tenant: 'acme',
    model: 'sim-gpt-fast',
    priority: 5,
    createdAt: 1000,
    metadata: { a: 'b' },
  });
  return id;
}

describe('JobStore', () => {
  it('creates a queued record with a bounded lifetime', async () => {
    const id = await newJob();
    expect(await store.get(id)).toMatchObject({
      id,
      tenant: 'acme',
      status: 'queued',
      attempts: 0,
      metadata: { a: 'b' },
    });
    expect(await redis.ttl(keys.job(id))).toBeGreaterThan(0);
  });

  it("writes the record's fixed fields, its constants and its optional ones, nothing else", async () => {
    await store.create({
      id: 'job_fields',
      tenant: 'acme',
      model: 'sim-gpt-fast',
      priority: 7,
      createdAt: 1234,
      lane: 'interactive',
      endsChannel: 'ends:1',
    });
    expect(await redis.hgetall(keys.job('job_fields'))).toEqual({
      id: 'job_fields',
      tenant: 'acme',
      status: 'queued',
      model: 'sim-gpt-fast',
      priority: '7',
      created_at: '1234',
      attempts: '0',
      result_writes: '0',
      lane: 'interactive',
      ends_channel: 'ends:1',
    });
  });

  it("starts keeping the event stream's lifetime, and gives one to a stream it made again", async () => {
    const id = await newJob();
    await redis.expire(keys.jobEvents(id), 100);
    expect(await store.start(id, 2000)).toMatchObject({ outcome: 'started' });
    const kept = await redis.ttl(keys.jobEvents(id));
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(100);
    expect(await redis.xlen(keys.jobEvents(id))).toBe(2);
    // A stream gone before its record (deleted by hand): the start's event makes it again, and
    // it is never left without a lifetime.
    await redis.del(keys.jobEvents(id));
    expect(await store.start(id, 3000)).toMatchObject({ outcome: 'started' });
    expect(await redis.xlen(keys.jobEvents(id))).toBe(1);
    expect(await redis.ttl(keys.jobEvents(id))).toBeGreaterThan(store.pendingTtlSeconds - 60);
  });

  it('keeps the surface a job came in through, and says none for the others', async () => {
    await store.create({
      id: 'job_r',
      tenant: 'acme',
      model: 'sim-gpt-fast',
      priority: 5,
      createdAt: 1000,
      surface: 'responses',
    });
    const plain = await newJob('job_plain');
    expect((await store.get('job_r'))?.surface).toBe('responses');
    const record = await store.get(plain);
    expect(record).not.toBeNull();
    expect(record?.surface).toBeUndefined();
  });

  it("marks notify in the record's write: asked for, or the tenant has default endpoints", async () => {
    const endpoints = new WebhookEndpointStore(redis, keys);
    const base = { tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1000 };
    await store.create({ ...base, id: 'job_plain' }, { notifyTenantEndpoints: true });
    await store.create({ ...base, id: 'job_own', notify: true });
    await endpoints.create('acme', { url: 'https://example.com/hook', events: ['job.completed'] });
    await store.create({ ...base, id: 'job_tenant' }, { notifyTenantEndpoints: true });
    await store.create({ ...base, id: 'job_unasked' });
    expect((await store.get('job_plain'))?.notify).toBe(false);
    expect((await store.get('job_own'))?.notify).toBe(true);
    expect((await store.get('job_tenant'))?.notify).toBe(true);
    expect((await store.get('job_unasked'))?.notify).toBe(false);
    expect(await redis.xlen(keys.jobEvents('job_tenant'))).toBe(1);
    expect(await redis.ttl(keys.jobEvents('job_tenant'))).toBeGreaterThan(0);
  });

  it('starts, counts attempts, keeps the first start time, and completes exactly once', async () => {
    const id = await newJob();
    const first = await store.start(id, 2000);
    expect(first).toEqual({ outcome: 'started', startedAt: 2000 });
    // A stalled job picked up again by another worker: same first start time, attempts grows.
    expect(await store.start(id, 5000)).toEqual({ outcome: 'started', startedAt: 2000 });
    expect(await store.complete(id, result, 6000)).toBe(true);
    expect(await store.complete(id, { ...result, text: 'second' }, 7000)).toBe(false);
    const record = await store.get(id);
    expect(record).toMatchObject({
      status: 'completed',
      attempts: 2,
      resultWrites: 1,
      finishedAt: 6000,
    });
    expect(record?.result?.text).toBe('hi');
    expect(await store.start(id)).toEqual({ outcome: 'finished' });
    expect(await redis.ttl(keys.job(id))).toBeLessThanOrEqual(120);
  });

  it('requeues with the last error, and a failure is final', async () => {
    const id = await newJob();
    await store.start(id);
    expect(await store.requeue(id, { code: 'provider_server_error', message: 'boom' })).toBe(true);
    expect(await store.get(id)).toMatchObject({
      status: 'queued',
      lastError: { code: 'provider_server_error' },
    });
    await store.start(id);
    expect(await store.fail(id, { code: 'provider_bad_request', message: 'bad' })).toBe(true);
    expect(await store.complete(id, result)).toBe(false);
    expect(await store.get(id)).toMatchObject({
      status: 'failed',
      error: { code: 'provider_bad_request' },
    });
  });

  it('a run after a retry: each start counted in the record and its event, the last error cleared by the end', async () => {
    const id = await newJob();
    await store.start(id, 2000);
    await store.requeue(id, { code: 'provider_server_error', message: 'boom' });
    expect(await store.start(id, 3000)).toEqual({ outcome: 'started', startedAt: 2000 });
    expect(await store.complete(id, result, 4000)).toBe(true);
    const record = await store.get(id);
    expect(record).toMatchObject({ status: 'completed', attempts: 2, resultWrites: 1 });
    expect(record?.startedAt).toBe(2000);
    expect(record?.lastError).toBeUndefined();
    const entries = await redis.xrange(keys.jobEvents(id), '-', '+');
    const statuses = entries.map(([, fields]) => JSON.parse(fields[3] ?? '{}'));
    expect(statuses.map((data) => [data.status, data.attempt])).toEqual([
      ['queued', undefined],
      ['active', 1],
      ['queued', undefined],
      ['active', 2],
      ['completed', undefined],
    ]);
  });

  it("announces a job's end on the channel its record names, and lists a failed job as its tenant's dead letter", async () => {
    const channel = `${keys.prefix}:job-ends:test`;
    const listener = new Redis(testRedisUrl());
    const announced = new Promise<string>((resolve) =>
      listener.once('message', (_channel: string, message: string) => resolve(message)),
    );
    await listener.subscribe(channel);
    try {
      const base = { tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1000 };
      await store.create({ ...base, id: 'job_told', endsChannel: channel });
      await store.create({ ...base, id: 'job_quiet' });
      await store.start('job_quiet');
      await store.complete('job_quiet', result);
      await store.start('job_told');
      expect(await store.fail('job_told', { code: 'provider_bad_request', message: 'bad' })).toBe(
        true,
      );
      // The first message heard is the failed job's: the job without a channel announced nothing.
      const [stream, entryId, data] = (await announced).split('\n');
      expect(stream).toBe(keys.jobEvents('job_told'));
      expect(entryId).toMatch(/^\d+-\d+$/);
      expect(JSON.parse(data ?? '{}')).toMatchObject({
        status: 'failed',
        error: { code: 'provider_bad_request' },
      });
      const dead = await store.deadLetters.list('acme', { limit: 10 });
      expect(JSON.stringify(dead)).toContain('job_told');
      expect(JSON.stringify(dead)).not.toContain('job_quiet');
    } finally {
      await listener.quit();
    }
  });

  it('cancels only queued jobs of the same tenant, and a cancelled job is never started', async () => {
    const id = await newJob();
    expect(await store.cancel(id, 'other-tenant')).toEqual({ outcome: 'missing' });
    expect(await store.cancel(id, 'acme')).toEqual({ outcome: 'cancelled' });
    expect(await store.cancel(id, 'acme')).toEqual({
      outcome: 'not_cancellable',
      status: 'cancelled',
    });
    expect(await store.start(id)).toEqual({ outcome: 'cancelled' });
    expect(await store.cancel('job_unknown', 'acme')).toEqual({ outcome: 'missing' });
    const active = await newJob('job_2');
    await store.start(active);
    expect(await store.cancel(active, 'acme')).toEqual({
      outcome: 'not_cancellable',
      status: 'active',
    });
  });

  it('reports a missing job', async () => {
    expect(await store.get('job_nope')).toBeNull();
    expect(await store.start('job_nope')).toEqual({ outcome: 'missing' });
    expect(await store.complete('job_nope', result)).toBe(false);
  });

  it('runs its scripts again after Redis forgets them (NOSCRIPT)', async () => {
    const id = await newJob();
    await redis.script('FLUSH').catch(() => undefined);
    expect((await store.start(id)).outcome).toBe('started');
  });

  describe('speculative execution', () => {
    const initial: JobResult = { ...result, stage: 'initial', upgrade_pending: true };
    const final: JobResult = {
      ...result,
      model: 'sim-gpt-strong',
      stage: 'final',
      upgrade_pending: false,
      initial: { ...initial, upgrade_pending: false },
    };

    async function streamNames(id: string): Promise<string[]> {
      const entries = await redis.xrange(keys.jobEvents(id), '-', '+');
      return entries.map(
        ([, fields]) =>
          `${fields[1]}${fields[1] === 'status' ? `:${JSON.parse(fields[3] ?? '{}').status}` : ''}`,
      );
    }

    async function outbox(): Promise<string[]> {
      const entries = await redis.xrange(keys.webhookOutbox(), '-', '+');
      return entries.map(([, fields]) => fields[3] ?? '');
    }

    it('stores the initial answer while the job runs, then the upgrade ends it, in order', async () => {
      await store.create({
        id: 'job_s',
        tenant: 'acme',
        model: 'sim-gpt-strong',
        priority: 5,
        createdAt: 1000,
        notify: true,
      });
      expect(await store.storeInitial('job_s', initial)).toBe(false); // not active yet
      await store.start('job_s');
      expect(await store.storeInitial('job_s', initial)).toBe(true);
      expect(await store.get('job_s')).toMatchObject({
        status: 'active',
        result: initial,
        resultWrites: 0,
      });
      expect(await store.complete('job_s', final)).toBe(true);
      expect(await store.get('job_s')).toMatchObject({
        status: 'completed',
        result: final,
        resultWrites: 1,
      });
      expect(await streamNames('job_s')).toEqual([
        'status:queued',
        'status:active',
        'job.initial',
        'job.upgraded',
        'status:completed',
      ]);
      expect(await outbox()).toEqual(['initial', 'upgraded', 'completed']);
    });

    it('a cancel during the upgrade keeps the initial answer, flags the worker, and bills once', async () => {
      const id = await newJob('job_c');
      await store.start(id);
      expect(await store.cancel(id, 'acme')).toEqual({
        outcome: 'not_cancellable',
        status: 'active',
      });
      await store.storeInitial(id, initial);
      expect(await store.cancel(id, 'acme')).toEqual({ outcome: 'cancelled' });
      expect(await redis.exists(keys.jobCancelRequest(id))).toBe(1);
      const record = await store.get(id);
      expect(record?.status).toBe('cancelled');
      expect(record?.result).toMatchObject({
        stage: 'initial',
        upgrade_pending: false,
        upgrade_error: { code: 'cancelled' },
      });
      // The upgrade that lost the race writes nothing; the calls are settled exactly once.
      expect(await store.complete(id, final)).toBe(false);
      const ledger = new CostLedger(redis, keys);
      const write = () =>
        ledger.write(
          'acme',
          [
            {
              model: 'sim-gpt-fast',
              costNanoUsd: 700,
              inputTokens: 3,
              cachedInputTokens: 0,
              outputTokens: 1,
              calls: 1,
              cacheHits: 0,
              savedNanoUsd: 0,
              savedTokens: 0,
            },
          ],
          { now: 0 },
        );
      expect(await store.settleCancelled(id, write())).toBe(true);
      expect(await store.settleCancelled(id, write())).toBe(false);
      expect(await redis.hgetall(keys.usageLedger('acme', '1970-01-01'))).not.toEqual({});
      expect((await store.get(id))?.result?.upgrade_error?.code).toBe('cancelled');
    });

    it('settles nothing for a job not cancelled during its upgrade', async () => {
      const id = await newJob('job_n');
      await store.start(id);
      const write = new CostLedger(redis, keys).write('acme', [], { now: 0 });
      expect(await store.settleCancelled(id, write)).toBe(false);
    });
  });
});
