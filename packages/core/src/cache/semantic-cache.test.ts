import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, defined, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { defaultProviderAccounts } from '../config/default-catalog';
import type { JobResult } from '../jobs/job-record';
import type { NormalizedRequest } from '../jobs/job-request';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import { type CachePolicy, resolveCachePolicy } from './cache-policy';
import {
  type Embedder,
  embedderFrom,
  SemanticCache,
  type SemanticCacheOptions,
} from './semantic-cache';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let providers: ProviderRegistry;
let embed: Embedder;
let redis: Redis;
let keys: RedisKeys;

beforeAll(async () => {
  simulator = await startSimulator();
  providers = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 2000 }),
  );
  // The simulator's embeddings over real HTTP, through the OpenAI adapter (official SDK).
  embed = embedderFrom(providers.embeddingModel('simulator-openai', 'sim-embed-small'));
});
afterAll(async () => {
  await providers.close();
  await simulator.close();
});
beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-semantic'));
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

const defaults = {
  ttlSeconds: 600,
  semanticThreshold: 0.95,
  semanticMaxEntries: 1000,
  semanticMultiTurn: false,
};
const ask = (content: string, extra: Partial<NormalizedRequest> = {}): NormalizedRequest => ({
  messages: [{ role: 'user', content }],
  temperature: 0,
  ...extra,
});
const answer = (text: string): JobResult =>
  ({ text, finish_reason: 'stop', cost_usd: 0.002 }) as unknown as JobResult;

function cacheWith(options: Partial<SemanticCacheOptions> = {}) {
  return new SemanticCache(redis, keys, {
    embed,
    embeddingModel: 'sim/sim-embed-small',
    ...options,
  });
}
const policyOf = (tenant: string, policy?: CachePolicy, threshold?: number) =>
  resolveCachePolicy(tenant, defaults, policy, { similarity_threshold: threshold });

/** Stores `stored`'s answer, then looks `asked` up; both under the given tenants and policies. */
async function storeThenAsk(
  cache: SemanticCache,
  stored: { tenant: string; request: NormalizedRequest; policy?: CachePolicy; model?: string },
  asked: { tenant: string; request: NormalizedRequest; policy?: CachePolicy; model?: string },
  threshold?: number,
) {
  const first = await cache.prepare(
    stored.model ?? 'm',
    stored.request,
    policyOf(stored.tenant, stored.policy),
  );
  if (!first) throw new Error('not cacheable');
  await cache.store(first, answer('stored answer'));
  const second = await cache.prepare(
    asked.model ?? 'm',
    asked.request,
    policyOf(asked.tenant, asked.policy, threshold),
  );
  return second ? cache.lookup(second) : undefined;
}

describe('SemanticCache', () => {
  it('answers a paraphrase with the stored answer and its similarity score', async () => {
    const hit = await storeThenAsk(
      cacheWith(),
      { tenant: 'a', request: ask('What is the capital of France?') },
      { tenant: 'a', request: ask("what's the capital of france") },
    );
    expect(hit?.result.text).toBe('stored answer');
    expect(hit?.score).toBeGreaterThanOrEqual(0.95);
    expect(hit?.score).toBeLessThanOrEqual(1);
  });

  it.each([
    ['Is this drug safe for children?', 'Is this drug not safe for children?'],
    ['Give me 3 ideas', 'Give me 5 ideas'],
    ['Give me three ideas', 'Give me five ideas'],
  ])('never answers "%s" for "%s", even with a low threshold', async (stored, asked) => {
    const cache = cacheWith();
    // At 0.7 the vectors alone would match: the negation and number guard refuses the hit.
    expect(
      await storeThenAsk(
        cache,
        { tenant: 'a', request: ask(stored) },
        { tenant: 'a', request: ask(asked) },
        0.7,
      ),
    ).toBeUndefined();
    // The control: the same prompt at the same threshold does hit.
    const again = await cache.prepare('m', ask(stored), policyOf('a', undefined, 0.7));
    expect(again && (await cache.lookup(again))).toMatchObject({ score: expect.any(Number) });
  });

  it('keeps tenants apart unless both opted into the same shared namespace', async () => {
    const cache = cacheWith();
    const prompt = ask('What is the capital of France?');
    expect(
      await storeThenAsk(cache, { tenant: 'a', request: prompt }, { tenant: 'b', request: prompt }),
    ).toBeUndefined();
    const shared = { shared_namespace: 'geo' };
    expect(
      await storeThenAsk(
        cache,
        { tenant: 'a', request: prompt, policy: { shared_namespace: 'other' } },
        { tenant: 'b', request: prompt, policy: shared },
      ),
    ).toBeUndefined();
    // Only one side opted in: still apart.
    expect(
      await storeThenAsk(
        cache,
        { tenant: 'c', request: prompt },
        { tenant: 'd', request: prompt, policy: shared },
      ),
    ).toBeUndefined();
    expect(
      await storeThenAsk(
        cache,
        { tenant: 'a', request: prompt, policy: shared },
        { tenant: 'b', request: ask("what's the capital of france"), policy: shared },
      ),
    ).toMatchObject({ result: { text: 'stored answer' } });
  });

  it.each<[string, Partial<NormalizedRequest> | { model: string }]>([
    ['the model', { model: 'other' }],
    ['temperature', { temperature: 0.5 }],
    ['max_tokens', { maxTokens: 5 }],
    ['top_p', { topP: 0.5 }],
    ['stop', { stop: ['x'] }],
    ['seed', { seed: 7 }],
  ])('misses when %s changes', async (_label, change) => {
    const { model, ...params } = { model: 'm', ...change };
    expect(
      await storeThenAsk(
        cacheWith(),
        { tenant: 'a', request: ask('What is the capital of France?') },
        { tenant: 'a', request: ask('What is the capital of France?', params), model },
      ),
    ).toBeUndefined();
  });

  it.each<[string, Partial<NormalizedRequest>]>([
    ['tools', { tools: [{ name: 'weather', parameters: { type: 'object', properties: {} } }] }],
    [
      'a JSON schema',
      { responseFormat: { type: 'json_schema', name: 'city', schema: { type: 'object' } } },
    ],
    [
      'an image',
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is the capital of France?' },
              { type: 'image', source: { type: 'url', url: 'https://example.com/map.png' } },
            ],
          },
        ],
      },
    ],
  ])('leaves a request with %s alone: neither stored nor looked up', async (_label, extra) => {
    const cache = cacheWith();
    const plain = ask('What is the capital of France?');
    // The precondition: the same question in plain text is taken by the semantic cache.
    expect(await cache.prepare('m', plain, policyOf('a'))).toBeDefined();
    expect(await cache.prepare('m', { ...plain, ...extra }, policyOf('a'))).toBeUndefined();
  });

  it('misses when the system prompt changes', async () => {
    const withSystem = (system: string): NormalizedRequest => ({
      messages: [
        { role: 'system', content: system },
        { role: 'user', content: 'What is the capital of France?' },
      ],
      temperature: 0,
    });
    const cache = cacheWith();
    const stored = { tenant: 'a', request: withSystem('be brief') };
    expect(
      await storeThenAsk(cache, stored, { tenant: 'a', request: withSystem('be verbose') }),
    ).toBeUndefined();
    expect(
      await storeThenAsk(cache, stored, { tenant: 'a', request: withSystem('be brief') }),
    ).toBeDefined();
  });

  it('takes single-turn prompts only, unless the tenant opted into whole conversations', async () => {
    const cache = cacheWith();
    const conversation: NormalizedRequest = {
      messages: [
        { role: 'user', content: 'I live in Paris.' },
        { role: 'assistant', content: 'Nice.' },
        { role: 'user', content: 'What is the capital of my country?' },
      ],
      temperature: 0,
    };
    expect(await cache.prepare('m', conversation, policyOf('a'))).toBeUndefined();
    const optIn = { semantic_multi_turn: true };
    const hit = await storeThenAsk(
      cache,
      { tenant: 'a', request: conversation, policy: optIn },
      { tenant: 'a', request: conversation, policy: optIn },
    );
    expect(hit?.result.text).toBe('stored answer');
    // A different earlier turn is a different conversation.
    const elsewhere = structuredClone(conversation);
    elsewhere.messages[0] = { role: 'user', content: 'I live in Rome, not Paris.' };
    // Prepared (so the cache is on and would look it up), then missed: a miss for the turn.
    const other = defined(
      await cache.prepare('m', elsewhere, policyOf('a', optIn)),
      'a prepared lookup for the other conversation',
    );
    expect(await cache.lookup(other)).toBeUndefined();
  });

  it('expires entries after their TTL and gives every key a TTL', async () => {
    let now = Date.now();
    const cache = cacheWith({ now: () => now });
    const prompt = ask('What is the capital of France?');
    const query = await cache.prepare('m', prompt, policyOf('a', { ttl_seconds: 60 }));
    if (!query) throw new Error('not cacheable');
    await cache.store(query, answer('paris'));
    expect(await cache.lookup(query)).toBeDefined();
    const stored = await redis.keys(`${keys.prefix}:cache:semantic:a:*`);
    expect(stored.length).toBe(5); // seq, age, expiry, and the scope's lsh and entries
    for (const key of stored) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60);
    }
    now += 61_000;
    expect(await cache.lookup(query)).toBeUndefined();
    // The next store purges it.
    await cache.store(query, answer('paris again'));
    expect(await redis.zcard(keys.semanticCacheOwner({ kind: 'tenant', id: 'a' }).age)).toBe(1);
  });

  it('keeps at most max entries per tenant, evicting the oldest across scopes', async () => {
    const cache = cacheWith();
    const policy = policyOf('a', { semantic_max_entries: 3 });
    const prompts = [
      'What is the capital of France?',
      'How do I bake sourdough bread?',
      'Explain quantum entanglement simply',
      'Translate good morning into Spanish',
      'Who wrote Pride and Prejudice?',
    ];
    for (const [index, prompt] of prompts.entries()) {
      // Two scopes (two models): the bound is per tenant, not per scope.
      const query = await cache.prepare(index % 2 ? 'm1' : 'm2', ask(prompt), policy);
      if (!query) throw new Error('not cacheable');
      await cache.store(query, answer(prompt));
    }
    const found = [];
    for (const [index, prompt] of prompts.entries()) {
      const query = await cache.prepare(index % 2 ? 'm1' : 'm2', ask(prompt), policy);
      found.push(query ? (await cache.lookup(query))?.result.text : undefined);
    }
    expect(found).toEqual([undefined, undefined, ...prompts.slice(2)]);
    const owner = keys.semanticCacheOwner({ kind: 'tenant', id: 'a' });
    expect(await redis.zcard(owner.age)).toBe(3);
    expect(await redis.zcard(owner.expiry)).toBe(3);
    // Evicted entries leave nothing behind: 4 fields each (vector, guards, answer, buckets).
    const entryKeys = await redis.keys(`${owner.base}:scope:*:entries`);
    let fields = 0;
    for (const key of entryKeys) fields += await redis.hlen(key);
    expect(fields).toBe(12);
  });

  it('skips a request the policy or request turned off', async () => {
    const cache = cacheWith();
    const prompt = ask('What is the capital of France?');
    expect(await cache.prepare('m', prompt, policyOf('a', { semantic: false }))).toBeUndefined();
    expect(await cache.prepare('m', prompt, policyOf('a', { ttl_seconds: 0 }))).toBeUndefined();
    expect(
      await cache.prepare(
        'm',
        prompt,
        resolveCachePolicy('a', defaults, undefined, { semantic: false }),
      ),
    ).toBeUndefined();
  });
});

describe('SemanticCache with a failing embedding provider', () => {
  it('stops calling it for a while after failures in a row, then tries again', async () => {
    let now = 1_000_000;
    let calls = 0;
    const cache = cacheWith({
      now: () => now,
      pauseAfterFailures: 2,
      pauseMs: 10_000,
      embed: async () => {
        calls += 1;
        throw new Error('embedding provider down');
      },
    });
    const prepare = () => cache.prepare('m', ask('What is the capital of France?'), policyOf('a'));
    await expect(prepare()).rejects.toThrow('down');
    await expect(prepare()).rejects.toThrow('down');
    expect(await prepare()).toBeUndefined(); // paused: no call
    expect(calls).toBe(2);
    now += 10_001;
    await expect(prepare()).rejects.toThrow('down');
    expect(calls).toBe(3);
  });
});
