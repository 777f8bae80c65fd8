import { startSimulator } from '@llmq/llm-simulator';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { defaultProviderAccounts } from '../config/default-catalog';
import type { JobResult } from '../jobs/job-record';
import type { NormalizedRequest } from '../jobs/job-request';
import { createProviderRegistry, type ProviderRegistry } from '../providers/provider-registry';
import { RedisKeys } from '../redis/redis-keys';
import { CachePolicyStore } from './cache-policy-store';
import { ExactCache } from './exact-cache';
import { ResponseCaches } from './response-caches';
import { embedderFrom, SemanticCache } from './semantic-cache';

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
let simulator: Simulator;
let providers: ProviderRegistry;
let redis: Redis;
let keys: RedisKeys;
let policies: CachePolicyStore;
let errors: string[];

const defaults = {
  ttlSeconds: 600,
  semanticThreshold: 0.95,
  semanticMaxEntries: 1000,
  semanticMultiTurn: false,
};

beforeAll(async () => {
  simulator = await startSimulator();
  providers = createProviderRegistry(
    defaultProviderAccounts({ simulatorUrl: simulator.url, timeoutMs: 2000 }),
  );
});
afterAll(async () => {
  await providers.close();
  await simulator.close();
});
beforeEach(() => {
  redis = new Redis(testRedisUrl());
  keys = new RedisKeys(uniquePrefix('test-caches'));
  policies = new CachePolicyStore(redis, keys, { defaults, cacheTtlMs: 0 });
  errors = [];
});
afterEach(async () => {
  await cleanupPrefix(redis, keys.prefix);
  await redis.quit();
});

function caches(embeddingModel = 'sim-embed-small') {
  return new ResponseCaches({
    exact: new ExactCache(redis, keys, { ttlSeconds: defaults.ttlSeconds }),
    semantic: new SemanticCache(redis, keys, {
      embed: embedderFrom(providers.embeddingModel('simulator-openai', embeddingModel)),
      embeddingModel,
    }),
    policies,
    defaults,
    onError: (cache, error) => errors.push(`${cache}: ${String(error)}`),
  });
}
const ask = (content: string): NormalizedRequest => ({
  messages: [{ role: 'user', content }],
  temperature: 0,
});
const answer = { text: 'Paris', finish_reason: 'stop', cost_usd: 0.001 } as unknown as JobResult;

describe('ResponseCaches', () => {
  it('answers the same prompt from the exact cache and a paraphrase from the semantic one', async () => {
    const stage = caches();
    const miss = await stage.lookup({
      tenant: 'a',
      model: 'm',
      request: ask('Capital of France?'),
    });
    expect(miss.hit).toBeUndefined();
    await miss.remember(answer);
    expect(
      (await stage.lookup({ tenant: 'a', model: 'm', request: ask('Capital of France?') })).hit,
    ).toMatchObject({ type: 'exact', result: { text: 'Paris' } });
    expect(
      (await stage.lookup({ tenant: 'a', model: 'm', request: ask('capital of france') })).hit,
    ).toMatchObject({ type: 'semantic', score: expect.any(Number), result: { text: 'Paris' } });
  });

  it('shares both caches between tenants of one namespace, and only them', async () => {
    const stage = caches();
    await policies.write('a', { shared_namespace: 'geo' });
    await policies.write('b', { shared_namespace: 'geo' });
    await (
      await stage.lookup({ tenant: 'a', model: 'm', request: ask('Capital of France?') })
    ).remember(answer);
    const hit = (tenant: string, prompt: string) =>
      stage.lookup({ tenant, model: 'm', request: ask(prompt) }).then((lookup) => lookup.hit);
    expect(await hit('b', 'Capital of France?')).toMatchObject({ type: 'exact' });
    expect(await hit('b', 'capital of france')).toMatchObject({ type: 'semantic' });
    expect(await hit('c', 'Capital of France?')).toBeUndefined();
    expect(await hit('c', 'capital of france')).toBeUndefined();
  });

  it('applies the tenant TTL, shortened by a request, never lengthened', async () => {
    const stage = caches();
    await policies.write('a', { ttl_seconds: 100 });
    const request = ask('Capital of France?');
    await (
      await stage.lookup({ tenant: 'a', model: 'm', request, options: { ttl_seconds: 30 } })
    ).remember(answer);
    const [exactKey] = await redis.keys(`${keys.prefix}:cache:exact:a:*`);
    expect(await redis.ttl(exactKey ?? '')).toBeLessThanOrEqual(30);
    await redis.del(exactKey ?? '');
    await (
      await stage.lookup({
        tenant: 'a',
        model: 'm',
        request: ask('Capital of Spain?'),
        options: { ttl_seconds: 5000 },
      })
    ).remember(answer);
    const [longer] = await redis.keys(`${keys.prefix}:cache:exact:a:*`);
    expect(await redis.ttl(longer ?? '')).toBeLessThanOrEqual(100);
    expect(await redis.ttl(longer ?? '')).toBeGreaterThan(30);
    // A TTL of 0 turns both caches off for the tenant.
    await policies.write('z', { ttl_seconds: 0 });
    await (await stage.lookup({ tenant: 'z', model: 'm', request })).remember(answer);
    expect(await redis.keys(`${keys.prefix}:cache:*:z*`)).toEqual([]);
  });

  it('treats a failing embedding call as a miss, and skips sampled requests', async () => {
    const stage = caches('no-such-embedding-model');
    const lookup = await stage.lookup({ tenant: 'a', model: 'm', request: ask('Hello there') });
    expect(lookup.hit).toBeUndefined();
    expect(errors.some((error) => error.startsWith('semantic:'))).toBe(true);
    await lookup.remember(answer); // the exact cache still stores it
    expect(
      (await stage.lookup({ tenant: 'a', model: 'm', request: ask('Hello there') })).hit?.type,
    ).toBe('exact');
    const sampled = { ...ask('Hello there'), temperature: 0.9 };
    expect((await stage.lookup({ tenant: 'a', model: 'm', request: sampled })).hit).toBeUndefined();
  });
});
