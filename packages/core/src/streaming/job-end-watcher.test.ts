import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import type { JobResult } from '../jobs/job-record';
import { JobStore } from '../jobs/job-store';
import { RedisKeys } from '../redis/redis-keys';
import { JobEndWatcher } from './job-end-watcher';

let redis: Redis;
let keys: RedisKeys;
let store: JobStore;
let watcher: JobEndWatcher;

beforeEach(async () => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-ends'));
  store = new JobStore(redis, keys, {
    resultTtlSeconds: 120,
    events: { maxLength: 1000, ttlSeconds: 60 },
  });
  // A long recheck: a watcher that only saw ends on its safety read would hang the test.
  watcher = await JobEndWatcher.start({
    subscriber: new Redis(testRedisUrl()),
    connection: redis,
    keys,
    recheckMs: 60_000,
  });
});
afterEach(async () => {
  await watcher.close();
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

const result: JobResult = {
  text: 'hello world',
  message: { role: 'assistant', content: 'hello world' },
  finish_reason: 'stop',
  model: 'sim-gpt-fast',
  upstream_model: 'sim-gpt-fast',
  provider: 'simulator-openai',
  usage: { input_tokens: 3, output_tokens: 2, cached_input_tokens: 0, total_tokens: 5 },
  timings: { queue_wait_ms: 1, provider_ms: 2, total_ms: 3 },
};

async function createJob(id: string, endsChannel?: string) {
  await store.create({
    id,
    tenant: 'acme',
    model: 'sim-gpt-fast',
    priority: 5,
    createdAt: 1,
    ...(endsChannel ? { endsChannel } : {}),
  });
}

describe('job end watcher', () => {
  it('resolves with the final status once the job store announces the end', async () => {
    await createJob('job_a', watcher.channel);
    const ended = watcher.finalEvent('job_a');
    await store.start('job_a');
    await store.complete('job_a', result);
    const event = await ended;
    expect(event.name).toBe('status');
    expect(event.name === 'status' && event.data.status).toBe('completed');
    expect(event.name === 'status' && event.data.result?.text).toBe('hello world');
  });

  it('takes the announced event as it is, without reading the stream', async () => {
    const unreadable = new Redis(testRedisUrl());
    await unreadable.quit(); // any read through it fails
    const announcedOnly = await JobEndWatcher.start({
      subscriber: new Redis(testRedisUrl()),
      connection: unreadable,
      keys,
      recheckMs: 60_000,
    });
    try {
      await createJob('job_e', announcedOnly.channel);
      const ended = announcedOnly.finalEvent('job_e');
      await store.start('job_e');
      await store.complete('job_e', result);
      const event = await ended;
      expect(event.name === 'status' && event.data.result?.usage.total_tokens).toBe(5);
    } finally {
      await announcedOnly.close();
    }
  });

  it('sees an end announced before its waiter registered', async () => {
    await createJob('job_b', watcher.channel);
    await store.start('job_b');
    await store.fail('job_b', { code: 'provider_error', message: 'boom' });
    // The announcement is in before the waiter: a round trip on the subscriber's own connection.
    await redis.publish('unrelated', 'x');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const event = await watcher.finalEvent('job_b');
    expect(event.name === 'status' && event.data.status).toBe('failed');
  });

  it('reads a job whose end was never announced on its next recheck', async () => {
    const quick = await JobEndWatcher.start({
      subscriber: new Redis(testRedisUrl()),
      connection: redis,
      keys,
      recheckMs: 50,
    });
    try {
      await createJob('job_c'); // no channel: its end is never announced
      const ended = quick.finalEvent('job_c');
      await store.cancel('job_c', 'acme');
      const event = await ended;
      expect(event.name === 'status' && event.data.status).toBe('cancelled');
    } finally {
      await quick.close();
    }
  });

  it('rejects with the signal reason when the wait is aborted', async () => {
    await createJob('job_d', watcher.channel);
    const controller = new AbortController();
    const ended = watcher.finalEvent('job_d', controller.signal);
    controller.abort(new Error('client disconnected'));
    await expect(ended).rejects.toThrow('client disconnected');
  });

  it('gives up a wait when it is cancelled, and still settles another waiter of the job', async () => {
    await createJob('job_f', watcher.channel);
    const cancelled = watcher.wait('job_f');
    const kept = watcher.wait('job_f');
    cancelled.cancel(new Error('client disconnected'));
    await expect(cancelled.event).rejects.toThrow('client disconnected');
    await store.start('job_f');
    await store.complete('job_f', result);
    const event = await kept.event;
    expect(event.name === 'status' && event.data.status).toBe('completed');
    // Cancelling a settled wait changes nothing.
    kept.cancel(new Error('too late'));
    await expect(kept.event).resolves.toBe(event);
  });
});

describe('a cancelled wait', () => {
  it('is let go: many cancelled waits leave nothing for the recheck to read', async () => {
    // A watcher that rechecks every 20 ms: any wait still held would be read on each pass.
    const rechecking = await JobEndWatcher.start({
      subscriber: new Redis(testRedisUrl()),
      connection: redis,
      keys,
      recheckMs: 20,
    });
    try {
      const waits = Array.from({ length: 500 }, (_, index) => rechecking.wait(`job_${index % 50}`));
      for (const wait of waits) wait.cancel(new Error('client disconnected'));
      await Promise.all(waits.map((wait) => expect(wait.event).rejects.toThrow('disconnected')));
      const reads = jest.spyOn(redis, 'pipeline');
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(reads).not.toHaveBeenCalled();
      // A wait held past the same passes is read: the recheck runs.
      const held = rechecking.wait('job_held');
      await new Promise((resolve) => setTimeout(resolve, 120));
      expect(reads).toHaveBeenCalled();
      held.cancel(new Error('done'));
      await expect(held.event).rejects.toThrow('done');
      reads.mockRestore();
    } finally {
      await rechecking.close();
    }
  });
});

describe("a watcher's close (the API shutting down)", () => {
  it('rejects every pending wait, so each request answers and lets its timer go', async () => {
    const closing = await JobEndWatcher.start({
      subscriber: new Redis(testRedisUrl()),
      connection: redis,
      keys,
      recheckMs: 60_000,
    });
    const waits = [closing.wait('job_x'), closing.wait('job_x'), closing.wait('job_y')];
    // Awaited as the API awaits them, from before the close.
    const ends = waits.map((wait) =>
      wait.event.then(
        () => 'resolved',
        (error: Error) => error,
      ),
    );
    await closing.close();
    for (const end of await Promise.all(ends)) {
      expect(end).toEqual(new Error('the job end watcher was closed'));
    }
    for (const wait of waits) {
      // A request's own cancel after the close changes nothing.
      wait.cancel(new Error('client disconnected'));
      await expect(wait.event).rejects.toThrow('the job end watcher was closed');
    }
  });
});
