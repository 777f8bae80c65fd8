import {
  type ContentStreamPart,
  defaultFilterPolicy,
  JobDeltaPublisher,
  type LanguageModel,
  mergeFilterPolicy,
  parseStreamEntry,
  RedisKeys,
  requestJobStop,
  StreamOutputFilter,
  type StreamPart,
} from '@llmq/core';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { earlyStopCheck, streamGeneration } from './stream-generation';

let redis: Redis;
let keys: RedisKeys;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-stop-check'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

describe('earlyStopCheck', () => {
  it('hands the read it started to the first call, and reads again for later ones', async () => {
    const watch = new JobDeltaPublisher(redis, keys, 'job_1');
    const checkStop = earlyStopCheck(watch);
    // The read went out when the check was made (a PING behind it on the same connection has
    // its answer): a stop asked after it is not in its answer…
    await redis.ping();
    await requestJobStop(redis, keys, 'job_1');
    await expect(checkStop()).resolves.toBe(false);
    // …but a later call reads the flag again and sees it.
    await expect(checkStop()).resolves.toBe(true);
  });

  it('sees a stop asked before the run began', async () => {
    await requestJobStop(redis, keys, 'job_2');
    const checkStop = earlyStopCheck(new JobDeltaPublisher(redis, keys, 'job_2'));
    await expect(checkStop()).resolves.toBe(true);
  });
});

/** A model whose stream is `parts`, as an adapter's stream is by the contract. */
function modelStreaming(parts: readonly StreamPart[]): LanguageModel {
  return {
    provider: 'p',
    modelId: 'm',
    generate: () => Promise.reject(new Error('not called')),
    async *stream() {
      yield* parts;
    },
  };
}

/** Every piece a job's delta events carry, in order, as the API reads them back. */
async function publishedPieces(jobId: string): Promise<ContentStreamPart[]> {
  return (await redis.xrange(keys.jobEvents(jobId), '-', '+')).flatMap(([id, fields]) => {
    const event = parseStreamEntry(id, fields);
    if (event?.name !== 'delta') return [];
    return event.data.parts ?? [{ type: 'text-delta' as const, delta: event.data.text }];
  });
}

describe('streamGeneration', () => {
  it('assembles the answers of an n > 1 stream apart, choices 2…n as otherChoices', async () => {
    const usage = { inputTokens: 4, outputTokens: 6, cachedInputTokens: 0, totalTokens: 10 };
    const logprob = { token: 'B', logprob: -1, topLogprobs: [] };
    const parts: StreamPart[] = [
      { type: 'text-delta', delta: 'A' },
      { type: 'text-delta', delta: 'B', choice: 1, logprobs: [logprob] },
      { type: 'tool-call-start', index: 0, toolCallId: 'c2', toolName: 'f', choice: 2 },
      { type: 'text-delta', delta: 'a' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"x":1}', choice: 2 },
      {
        type: 'finish',
        finishReason: 'stop',
        otherFinishReasons: ['length', 'tool_calls'],
        usage,
        responseModel: 'm',
      },
    ];
    // An adapter's stream as the contract gives it (the providers' own readers are tested
    // against the simulator in core).
    const model: LanguageModel = {
      provider: 'p',
      modelId: 'm',
      generate: () => Promise.reject(new Error('not called')),
      async *stream() {
        yield* parts;
      },
    };
    const publisher = new JobDeltaPublisher(redis, keys, 'job_n');
    const outcome = await streamGeneration(model, { messages: [], n: 3 }, publisher);
    expect(outcome.outcome).toBe('completed');
    if (outcome.outcome !== 'completed') return;
    expect(outcome.answer).toMatchObject({
      text: 'Aa',
      content: [{ type: 'text', text: 'Aa' }],
      finishReason: 'stop',
      usage,
      otherChoices: [
        { content: [{ type: 'text', text: 'B' }], finishReason: 'length', logprobs: [logprob] },
        {
          content: [{ type: 'tool-call', toolCallId: 'c2', toolName: 'f', arguments: '{"x":1}' }],
          finishReason: 'tool_calls',
        },
      ],
    });
    expect(outcome.answer.logprobs).toBeUndefined();
  });

  describe("an n > 1 answer's end", () => {
    const usage = { inputTokens: 4, outputTokens: 9, cachedInputTokens: 0, totalTokens: 13 };
    // Choice 1 ends while choice 0 streams on; its last word, an address, is still held by the
    // output filter (it may grow) when its end arrives.
    const parts: StreamPart[] = [
      { type: 'text-delta', delta: 'Write ' },
      { type: 'text-delta', delta: 'mail bob@', choice: 1 },
      { type: 'text-delta', delta: 'x.org', choice: 1 },
      { type: 'choice-end', finishReason: 'length', choice: 1 },
      { type: 'text-delta', delta: 'to the team.' },
      { type: 'choice-end', finishReason: 'stop' },
      {
        type: 'finish',
        finishReason: 'stop',
        otherFinishReasons: ['length'],
        usage,
        responseModel: 'm',
      },
    ];
    const filterFor = (email: 'redact' | 'block') =>
      StreamOutputFilter.for(
        mergeFilterPolicy(defaultFilterPolicy, { output: { detectors: { email } } }).output,
      );

    it('goes out after all the filter held of that answer, before the later parts of another', async () => {
      const publisher = new JobDeltaPublisher(redis, keys, 'job_end');
      const outcome = await streamGeneration(
        modelStreaming(parts),
        { messages: [], n: 2 },
        publisher,
        undefined,
        filterFor('redact'),
      );
      // The answers are assembled from their content alone, unfiltered (the whole-answer
      // filter judges them next).
      expect(outcome).toMatchObject({
        outcome: 'completed',
        answer: {
          text: 'Write to the team.',
          finishReason: 'stop',
          otherChoices: [
            { content: [{ type: 'text', text: 'mail bob@x.org' }], finishReason: 'length' },
          ],
        },
      });
      const pieces = await publishedPieces('job_end');
      const ofChoice1 = pieces.filter((piece) => (piece.choice ?? 0) === 1);
      // Its text (coalesced as the publisher writes it), then its end.
      expect(ofChoice1.slice(0, -1).every((piece) => piece.type === 'text-delta')).toBe(true);
      expect(
        ofChoice1.map((piece) => (piece.type === 'text-delta' ? piece.delta : '')).join(''),
      ).toBe('mail [EMAIL]');
      expect(ofChoice1.at(-1)).toEqual({ type: 'choice-end', finishReason: 'length', choice: 1 });
      const endOf = (choice: number) =>
        pieces.findIndex((piece) => piece.type === 'choice-end' && (piece.choice ?? 0) === choice);
      const team = pieces.findIndex(
        (piece) => piece.type === 'text-delta' && piece.delta.includes('team'),
      );
      expect(endOf(1)).toBeGreaterThan(-1);
      expect(endOf(1)).toBeLessThan(team);
      expect(endOf(0)).toBe(pieces.length - 1);
    });

    it('is held back for an answer a blocking match stopped (its job fails), not for the others', async () => {
      const publisher = new JobDeltaPublisher(redis, keys, 'job_block');
      await streamGeneration(
        modelStreaming(parts),
        { messages: [], n: 2 },
        publisher,
        undefined,
        filterFor('block'),
      );
      const pieces = await publishedPieces('job_block');
      expect(pieces).toContainEqual({ type: 'choice-end', finishReason: 'stop' });
      expect(pieces.filter((piece) => piece.type === 'choice-end')).toHaveLength(1);
      expect(JSON.stringify(pieces)).not.toContain('bob@');
    });
  });
});
