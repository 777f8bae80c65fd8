import { freePort, waitFor } from '@llmq/testing';
import { otherTenantApiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let metricsUrl: string;
const adminKey = 'e2e-admin-key-semantic-000000001';

beforeAll(async () => {
  system = await startSystem({
    workers: 0,
    env: {
      SEMANTIC_CACHE_MODEL: 'simulator-openai/sim-embed-small',
      // Policy changes apply at once in this test (processes re-read them on every job).
      CACHE_POLICY_CACHE_MS: '0',
    },
    apiEnv: { ADMIN_API_KEY: adminKey },
  });
  const port = await freePort();
  system.startWorker({ WORKER_METRICS_PORT: String(port), WORKER_METRICS_HOST: '127.0.0.1' });
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
});
afterAll(async () => {
  await system?.stop();
});

// Embedding calls reach the simulator too: count only the chat model's calls.
const chatCalls = () => system.simulator.counters().byModel['sim-gpt-fast'] ?? 0;
const job = (prompt: string, extra: Record<string, unknown> = {}) => ({
  model: 'sim-gpt-fast',
  prompt,
  temperature: 0,
  ...extra,
});
const asTenant = (key: string) => ({ Authorization: `Bearer ${key}` });

async function semanticHits(): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text
    .split('\n')
    .find((row) => row.startsWith('llm_cache_hits_total{cache_type="semantic"}'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('the semantic cache through the API and a worker', () => {
  it('answers a paraphrase from the cache: marked, scored, free, counted', async () => {
    const first = await system.waitForJob(
      await system.submit(job('What is the capital of France?')),
    );
    expect(first.status).toBe('completed');
    expect(first.result.cost_usd).toBeGreaterThan(0);
    const calls = chatCalls();

    const second = await system.waitForJob(
      await system.submit(job("what's the capital of france")),
    );
    expect(second.result).toMatchObject({
      text: first.result.text,
      cached: true,
      cost_usd: 0,
      saved_cost_usd: first.result.cost_usd,
      cache: { type: 'semantic' },
    });
    expect(second.result.cache.score).toBeGreaterThanOrEqual(0.95);
    expect(chatCalls()).toBe(calls);
    await waitFor(async () => ((await semanticHits()) >= 1 ? true : undefined), {
      timeoutMs: 5000,
      what: 'the semantic hit to be counted',
    });
  });

  it('never serves a negated question or another number, even at a lower threshold', async () => {
    const options = { cache_options: { similarity_threshold: 0.7 } };
    for (const [stored, asked] of [
      ['Is this drug safe for children?', 'Is this drug not safe for children?'],
      ['Give me 3 ideas', 'Give me 5 ideas'],
    ] as const) {
      await system.waitForJob(await system.submit(job(stored, options)));
      const calls = chatCalls();
      const other = await system.waitForJob(await system.submit(job(asked, options)));
      expect(other.result.cached).toBeUndefined();
      expect(chatCalls()).toBe(calls + 1);
    }
  });

  it('keeps tenants apart until an admin puts both into one shared namespace', async () => {
    await system.waitForJob(await system.submit(job('Who wrote Pride and Prejudice?')));
    const theirs = async () => {
      const submitted = await system.request(
        'POST',
        '/v1/jobs',
        job('who wrote pride and prejudice'),
        asTenant(otherTenantApiKey),
      );
      return waitFor(
        async () => {
          const polled = await system.request(
            'GET',
            `/v1/jobs/${submitted.body.id}`,
            undefined,
            asTenant(otherTenantApiKey),
          );
          return polled.body.status === 'completed' ? polled.body : undefined;
        },
        { timeoutMs: 15_000, what: 'the other tenant’s job' },
      );
    };
    expect((await theirs()).result.cached).toBeUndefined();

    for (const tenant of ['e2e', 'other']) {
      const put = await system.request(
        'PUT',
        `/v1/admin/tenants/${tenant}/cache-policy`,
        { shared_namespace: 'books' },
        asTenant(adminKey),
      );
      expect(put.status).toBe(200);
    }
    await system.waitForJob(await system.submit(job('Who wrote Pride and Prejudice?')));
    expect((await theirs()).result).toMatchObject({ cached: true, cache: { type: 'semantic' } });
  });
});
