import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { compareStreamIds, type JobEvent } from '../jobs/job-event';
import type { JobResult } from '../jobs/job-record';
import { JobStore } from '../jobs/job-store';
import { RedisKeys } from '../redis/redis-keys';
import { JobDeltaPublisher } from './job-delta-publisher';
import { JobEventReader } from './job-event-reader';
import { requestJobStop } from './job-stop-request';

let redis: Redis;
let blocking: Redis;
let keys: RedisKeys;
let store: JobStore;
let reader: JobEventReader;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  blocking = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-events'));
  store = new JobStore(redis, keys, {
    resultTtlSeconds: 120,
    events: { maxLength: 1000, ttlSeconds: 60 },
  });
  // A long block: a reader that only saw new jobs when its XREAD timed out would hang the test.
  reader = new JobEventReader({
    blockingConnection: blocking,
    controlConnection: redis,
    keys,
    blockMs: 60_000,
  });
});
afterEach(async () => {
  await reader.close();
  await cleanupPrefix(redis, keys.prefix);
  await Promise.all([redis.quit(), blocking.quit()]);
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

async function createJob(id: string) {
  await store.create({ id, tenant: 'acme', model: 'sim-gpt-fast', priority: 5, createdAt: 1 });
}

async function collect(iterable: AsyncIterable<JobEvent>): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of iterable) events.push(event);
  return events;
}

describe('job events', () => {
  it('records every status transition in the job stream, atomically with the record', async () => {
    await createJob('job_a');
    await store.start('job_a');
    await store.requeue('job_a', { code: 'provider_server_error', message: 'boom' });
    await store.start('job_a');
    await store.complete('job_a', result);
    expect(await store.complete('job_a', result)).toBe(false); // no second completed event
    const events = await collect(reader.events('job_a'));
    expect(events.map((event) => event.data)).toEqual([
      { status: 'queued' },
      { status: 'active', attempt: 1 },
      { status: 'queued', last_error: { code: 'provider_server_error', message: 'boom' } },
      { status: 'active', attempt: 2 },
      { status: 'completed', result },
    ]);
    expect(await redis.ttl(keys.jobEvents('job_a'))).toBeGreaterThan(0);
  });

  it('follows many jobs over one blocking connection, waking for jobs added while it blocks', async () => {
    await Promise.all(['job_1', 'job_2', 'job_3'].map(createJob));
    const first = collect(reader.events('job_1'));
    // Let the reader block on job_1 alone before the others join.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const others = [collect(reader.events('job_2')), collect(reader.events('job_3'))];
    for (const id of ['job_3', 'job_2', 'job_1']) {
      await store.start(id);
      const publisher = new JobDeltaPublisher(redis, keys, id);
      publisher.push(`text of ${id}`);
      await publisher.flush();
      await store.complete(id, result);
    }
    const all = await Promise.all([first, ...others]);
    all.forEach((events, index) => {
      expect(events.map((event) => event.name)).toEqual(['status', 'status', 'delta', 'status']);
      expect(events[2]?.data).toEqual({ text: `text of job_${index + 1}` });
      const ids = events.map((event) => event.id);
      expect([...ids].sort(compareStreamIds)).toEqual(ids);
    });
  });

  it('resumes after a given event id with only the later events', async () => {
    await createJob('job_r');
    await store.start('job_r');
    const all = await (async () => {
      const publisher = new JobDeltaPublisher(redis, keys, 'job_r');
      publisher.push('a');
      await publisher.flush();
      publisher.push('b');
      await publisher.flush();
      await store.complete('job_r', result);
      return collect(reader.events('job_r'));
    })();
    const after = all[1]?.id ?? '';
    const rest = await collect(reader.events('job_r', after));
    expect(rest).toEqual(all.slice(2));
  });

  it('ends a waiting iterator when its signal aborts', async () => {
    await createJob('job_w');
    const controller = new AbortController();
    const waiting = collect(reader.events('job_w', '0', controller.signal));
    setTimeout(() => controller.abort(new Error('gone')), 20);
    await expect(waiting).rejects.toThrow('gone');
  });
});

describe('JobDeltaPublisher', () => {
  it('coalesces deltas pushed during a write into one entry, keeping the text intact', async () => {
    await createJob('job_c');
    const publisher = new JobDeltaPublisher(redis, keys, 'job_c');
    const tokens = Array.from({ length: 200 }, (_, index) => `t${index} `);
    for (const token of tokens) publisher.push(token);
    await publisher.flush();
    const entries = await redis.xrange(keys.jobEvents('job_c'), '-', '+');
    const deltas = entries.filter(([, fields]) => fields[1] === 'delta');
    expect(deltas.length).toBeLessThanOrEqual(2);
    const text = deltas.map(([, fields]) => JSON.parse(fields[3] ?? '{}').text).join('');
    expect(text).toBe(tokens.join(''));
    expect(publisher.published).toBe(true);
  });

  it("coalesces text deltas with their tokens' logprobs in order, and keeps a logprobs-only delta", async () => {
    await createJob('job_l');
    const publisher = new JobDeltaPublisher(redis, keys, 'job_l');
    const token = (text: string) => ({ token: text, logprob: -1, topLogprobs: [] });
    publisher.pushPart({ type: 'text-delta', delta: 'a', logprobs: [token('a')] });
    publisher.pushPart({ type: 'text-delta', delta: '', logprobs: [token('')] });
    publisher.pushPart({ type: 'text-delta', delta: 'b' });
    publisher.pushPart({ type: 'text-delta', delta: 'c', logprobs: [token('c')] });
    await publisher.flush();
    const entries = await redis.xrange(keys.jobEvents('job_l'), '-', '+');
    const deltas = entries
      .filter(([, fields]) => fields[1] === 'delta')
      .map(([, fields]) => JSON.parse(fields[3] ?? '{}'));
    expect(deltas.map((delta) => delta.text).join('')).toBe('abc');
    const parts = deltas.flatMap((delta) => delta.parts ?? []);
    expect(parts.every((part: { type: string }) => part.type === 'text-delta')).toBe(true);
    expect(
      parts.flatMap((part: { logprobs?: Array<{ token: string }> }) =>
        (part.logprobs ?? []).map((entry) => entry.token),
      ),
    ).toEqual(['a', '', 'c']);
  });

  it("keeps n > 1 answers apart: each piece names its choice, and text is the first answer's", async () => {
    await createJob('job_n');
    const publisher = new JobDeltaPublisher(redis, keys, 'job_n');
    for (const [delta, choice] of [
      ['A', 0],
      ['B', 1],
      ['a', 0],
      ['b', 1],
      ['c', 2],
    ] as const)
      publisher.pushPart({ type: 'text-delta', delta, ...(choice > 0 ? { choice } : {}) });
    await publisher.flush();
    const deltas = (await redis.xrange(keys.jobEvents('job_n'), '-', '+'))
      .filter(([, fields]) => fields[1] === 'delta')
      .map(([, fields]) => JSON.parse(fields[3] ?? '{}'));
    expect(deltas.map((delta) => delta.text).join('')).toBe('Aa');
    // As a reader replays them: an event without parts is the first answer's text.
    const parts: Array<{ delta: string; choice?: number }> = deltas.flatMap(
      (delta) => delta.parts ?? [{ delta: delta.text }],
    );
    expect(parts.some((part) => part.choice === 1)).toBe(true);
    const textOf = (choice: number) =>
      parts
        .filter((part) => (part.choice ?? 0) === choice)
        .map((part) => part.delta)
        .join('');
    expect([textOf(0), textOf(1), textOf(2)]).toEqual(['Aa', 'Bb', 'c']);
  });

  it("keeps an n > 1 answer's end in its place, text not joined across it", async () => {
    await createJob('job_ce');
    const publisher = new JobDeltaPublisher(redis, keys, 'job_ce');
    publisher.pushPart({ type: 'text-delta', delta: 'A' });
    publisher.pushPart({ type: 'text-delta', delta: 'B', choice: 1 });
    publisher.pushPart({ type: 'choice-end', finishReason: 'length', choice: 1 });
    publisher.pushPart({ type: 'text-delta', delta: 'a' });
    publisher.pushPart({ type: 'choice-end', finishReason: 'stop' });
    await publisher.flush();
    const deltas = (await redis.xrange(keys.jobEvents('job_ce'), '-', '+'))
      .filter(([, fields]) => fields[1] === 'delta')
      .map(([, fields]) => JSON.parse(fields[3] ?? '{}'));
    expect(deltas.map((delta) => delta.text).join('')).toBe('Aa');
    // An event of the first answer's plain text alone has no parts.
    const parts = deltas.flatMap(
      (delta) => delta.parts ?? [{ type: 'text-delta', delta: delta.text }],
    );
    expect(parts).toEqual([
      { type: 'text-delta', delta: 'A' },
      { type: 'text-delta', delta: 'B', choice: 1 },
      { type: 'choice-end', finishReason: 'length', choice: 1 },
      { type: 'text-delta', delta: 'a' },
      { type: 'choice-end', finishReason: 'stop' },
    ]);
  });

  it("holds the provider's metadata until the first content part, which it precedes", async () => {
    await createJob('job_m');
    const publisher = new JobDeltaPublisher(redis, keys, 'job_m');
    // A first call's metadata, then a fallback's: neither is written or counts as published.
    publisher.pushPart({ type: 'response-metadata', systemFingerprint: 'fp_first' });
    publisher.pushPart({ type: 'response-metadata', systemFingerprint: 'fp_second' });
    await publisher.flush();
    expect(publisher.published).toBe(false);
    expect(await redis.xlen(keys.jobEvents('job_m'))).toBe(1); // the job's queued status
    publisher.push('Hi');
    await publisher.flush();
    const deltas = (await redis.xrange(keys.jobEvents('job_m'), '-', '+'))
      .filter(([, fields]) => fields[1] === 'delta')
      .map(([, fields]) => JSON.parse(fields[3] ?? '{}'));
    expect(deltas).toEqual([
      {
        text: 'Hi',
        parts: [
          { type: 'response-metadata', systemFingerprint: 'fp_second' },
          { type: 'text-delta', delta: 'Hi' },
        ],
      },
    ]);
  });

  it('notices a stop request with its next write, or when asked', async () => {
    await createJob('job_s');
    const publisher = new JobDeltaPublisher(redis, keys, 'job_s');
    publisher.push('x');
    await publisher.flush();
    expect(publisher.stopRequested).toBe(false);
    await requestJobStop(redis, keys, 'job_s');
    publisher.push('y');
    await publisher.flush();
    expect(publisher.stopRequested).toBe(true);
    const other = new JobDeltaPublisher(redis, keys, 'job_s');
    expect(await other.checkStop()).toBe(true);
    expect(other.published).toBe(false);
  });

  it('detects deltas published by an earlier attempt, but not a retry after an early error', async () => {
    await createJob('job_e');
    await store.start('job_e');
    await store.requeue('job_e', { code: 'provider_server_error', message: 'boom' });
    await store.start('job_e');
    const retry = new JobDeltaPublisher(redis, keys, 'job_e');
    expect(await retry.detectEarlierDeltas()).toBe(false);
    retry.push('partial answer');
    await retry.flush();
    // The worker died here; stalled-job recovery starts the job again.
    await store.start('job_e');
    const recovered = new JobDeltaPublisher(redis, keys, 'job_e');
    expect(await recovered.detectEarlierDeltas()).toBe(true);
    expect(recovered.published).toBe(true);
  });
});
