import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import type { JobResult } from '../jobs/job-record';
import type { NormalizedRequest } from '../jobs/job-request';
import { RedisKeys } from '../redis/redis-keys';
import { asCacheHit, ExactCache, exactCacheKeyHash, isCacheable } from './exact-cache';

let redis: Redis;
let keys: RedisKeys;

beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-cache'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

const request: NormalizedRequest = {
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'hi' },
  ],
  temperature: 0,
  maxTokens: 10,
};
const result = {
  text: 'hello',
  cost_usd: 0.004,
  attempts: [{ provider: 'p' }],
} as unknown as JobResult;

const weatherTool = {
  name: 'weather',
  parameters: { type: 'object', properties: {} },
};
const withImage = (data: string): NormalizedRequest => ({
  ...request,
  messages: [
    { role: 'system', content: 'be brief' },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'hi' },
        { type: 'image', source: { type: 'base64', mediaType: 'image/png', data } },
      ],
    },
  ],
});

describe('exactCacheKeyHash', () => {
  it.each([
    ['the model', () => exactCacheKeyHash('other', request)],
    [
      'the system prompt',
      () => exactCacheKeyHash('m', { ...request, messages: [request.messages[1]!] }),
    ],
    ['temperature', () => exactCacheKeyHash('m', { ...request, temperature: 0.5 })],
    ['max_tokens', () => exactCacheKeyHash('m', { ...request, maxTokens: 11 })],
    ['top_p', () => exactCacheKeyHash('m', { ...request, topP: 0.9 })],
    ['stop', () => exactCacheKeyHash('m', { ...request, stop: ['x'] })],
    ['seed', () => exactCacheKeyHash('m', { ...request, seed: 1 })],
    ['the tools', () => exactCacheKeyHash('m', { ...request, tools: [weatherTool] })],
    [
      "a tool's schema",
      () =>
        exactCacheKeyHash('m', {
          ...request,
          tools: [{ ...weatherTool, parameters: { type: 'object', properties: { q: {} } } }],
        }),
    ],
    ['the tool choice', () => exactCacheKeyHash('m', { ...request, toolChoice: 'required' })],
    [
      'the response format',
      () => exactCacheKeyHash('m', { ...request, responseFormat: { type: 'json_object' } }),
    ],
    [
      'the JSON schema',
      () =>
        exactCacheKeyHash('m', {
          ...request,
          responseFormat: { type: 'json_schema', name: 'a', schema: { type: 'object' } },
        }),
    ],
    ['an image', () => exactCacheKeyHash('m', withImage('AAAA'))],
    ['the image bytes', () => exactCacheKeyHash('m', withImage('BBBB'))],
    [
      'the reasoning effort',
      () => exactCacheKeyHash('m', { ...request, reasoning: { effort: 'low' } }),
    ],
  ])('changes with %s', (_label, changed) => {
    expect(changed()).not.toBe(exactCacheKeyHash('m', request));
  });

  it('tells two images apart, not only an image from none', () => {
    expect(exactCacheKeyHash('m', withImage('AAAA'))).toBe(
      exactCacheKeyHash('m', withImage('AAAA')),
    );
    expect(exactCacheKeyHash('m', withImage('AAAA'))).not.toBe(
      exactCacheKeyHash('m', withImage('BBBB')),
    );
  });

  it('does not depend on key order', () => {
    expect(
      exactCacheKeyHash('m', { maxTokens: 10, temperature: 0, messages: request.messages }),
    ).toBe(exactCacheKeyHash('m', request));
  });
});

describe('isCacheable', () => {
  it('takes deterministic requests by default, any request when forced, none when bypassed', () => {
    expect(isCacheable({ messages: [], temperature: 0 })).toBe(true);
    expect(isCacheable({ messages: [], temperature: 1, seed: 3 })).toBe(true);
    expect(isCacheable({ messages: [], temperature: 1 })).toBe(false);
    expect(isCacheable({ messages: [] })).toBe(false);
    expect(isCacheable({ messages: [] }, 'force')).toBe(true);
    expect(isCacheable({ messages: [], temperature: 0 }, 'bypass')).toBe(false);
  });
});

describe('ExactCache', () => {
  it('stores per tenant with a TTL, and a hit is free and marked', async () => {
    const cache = new ExactCache(redis, keys, { ttlSeconds: 60 });
    await cache.set('a', 'm', request, result);
    expect(await cache.get('a', 'm', request)).toMatchObject({ text: 'hello' });
    expect(await cache.get('b', 'm', request)).toBeUndefined();
    const [key] = await redis.keys(`${keys.prefix}:cache:exact:a:*`);
    expect(await redis.ttl(key!)).toBeGreaterThan(0);
    const timings = { queue_wait_ms: 1, provider_ms: 0, total_ms: 2 };
    expect(asCacheHit(result, timings)).toMatchObject({
      cached: true,
      cost_usd: 0,
      saved_cost_usd: 0.004,
      attempts: [],
      timings,
    });
  });

  it('never stores a filtered answer, and is off with a TTL of 0', async () => {
    const cache = new ExactCache(redis, keys, { ttlSeconds: 60 });
    await cache.set('a', 'm', request, { ...result, finish_reason: 'content_filter' });
    expect(await cache.get('a', 'm', request)).toBeUndefined();
    const off = new ExactCache(redis, keys, { ttlSeconds: 0 });
    await off.set('a', 'm', request, result);
    expect(await off.get('a', 'm', request)).toBeUndefined();
  });
});
