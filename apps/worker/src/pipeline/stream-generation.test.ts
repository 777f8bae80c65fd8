import {
  JobDeltaPublisher,
  type LanguageModel,
  RedisKeys,
  requestJobStop,
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
});
