// Benchmark: semantic-cache lookup latency at 100,000 entries in one scope (one tenant, one
// model, one set of generation parameters), the target being p99 < 5 ms. Fills the
// scope through SemanticCache.store with the simulator's own embedding function (the vectors
// `sim-embed-small` serves, 256 dimensions, computed in-process so filling takes seconds), then
// times SemanticCache.lookup alone: the embedding call is the provider's latency, not the
// cache's. Also checks the LSH against an exhaustive scan of the same vectors: recall of the
// hits an exact search finds at the threshold, and the latency of that scan as the baseline.
//
// Runs on a private redis-server when one is installed (else REDIS_URL under a random prefix,
// removed afterwards). Needs a build (`npm run bench` builds first).
// Usage: node bench/semantic-cache.mjs [--entries 100000] [--queries 3000]

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchEnv } from './lib/bench-env.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { freePort, startRedisServer, hasRedisServer } = require('../scripts/lib/local-redis.js');
const core = require(path.join(root, 'packages/core/dist/index.js'));
const { embedText } = require(path.join(root, 'apps/llm-simulator/dist/embeddings/embed-text.js'));
const { Redis } = require(
  require.resolve('ioredis', { paths: [path.join(root, 'packages/core')] }),
);

const argument = (name, fallback) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const entries = argument('entries', 100_000);
const queries = argument('queries', 3000);
const threshold = 0.95;
/** Queries also answered by an exhaustive scan (for recall; it takes ~0.1 s each at 100k). */
const exhaustiveQueries = Math.min(queries, argument('exhaustive', 600));

// 10 × 25 × 40 × 10 = 100,000 distinct prompts that share a lot of wording, as a tenant's
// traffic does: a harder case for LSH than unrelated texts (more candidates per lookup).
const openers = [
  'How do I',
  'What is the best way to',
  'Explain how to',
  'Can you show me how to',
  'Tell me how to',
  'Is it possible to',
  'Why should I',
  'When should I',
  'Help me',
  'Teach me to',
];
const verbs = [
  'cook',
  'clean',
  'repair',
  'paint',
  'sell',
  'buy',
  'store',
  'measure',
  'design',
  'test',
  'plan',
  'build',
  'choose',
  'compare',
  'install',
  'replace',
  'protect',
  'organise',
  'photograph',
  'describe',
  'translate',
  'recycle',
  'insure',
  'decorate',
  'ship',
];
const objects = [
  'rice',
  'a bicycle',
  'a laptop',
  'a garden fence',
  'a wedding cake',
  'a used car',
  'winter tyres',
  'a database index',
  'a wooden table',
  'solar panels',
  'a kitchen sink',
  'a leather jacket',
  'a fish tank',
  'a violin',
  'a mountain tent',
  'a coffee machine',
  'a python script',
  'an oil painting',
  'a garage door',
  'running shoes',
  'a smartphone screen',
  'a rose bush',
  'a vinyl record',
  'a hiking map',
  'a birthday party',
  'a tax return',
  'a job application',
  'a chess opening',
  'a sourdough starter',
  'a bathroom mirror',
  'a ceiling fan',
  'a mechanical keyboard',
  'a camping stove',
  'a silk scarf',
  'a brick wall',
  'a snowboard',
  'a family budget',
  'a research paper',
  'a bird feeder',
  'a swimming pool',
];
const qualifiers = [
  'at home',
  'on a budget',
  'in a small flat',
  'for beginners',
  'without special tools',
  'in winter',
  'as fast as possible',
  'safely',
  'for a large family',
  'like a professional',
];
const promptAt = (index) => {
  const q = index % 10;
  const o = Math.floor(index / 10) % 40;
  const v = Math.floor(index / 400) % 25;
  const p = Math.floor(index / 10_000) % 10;
  return `${openers[p]} ${verbs[v]} ${objects[o]} ${qualifiers[q]}?`;
};

function percentile(sorted, fraction) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))];
}
const round = (value, digits = 3) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main() {
  let server;
  let redisUrl = benchEnv.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (hasRedisServer()) {
    const port = await freePort();
    server = await startRedisServer({
      port,
      dir: path.join(os.tmpdir(), `llmq-bench-semantic-${port}`),
      appendOnly: false,
    });
    redisUrl = server.url;
  }
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const keys = new core.RedisKeys(`bench-semantic-${randomUUID().slice(0, 8)}`);
  const cache = new core.SemanticCache(redis, keys, {
    embed: async (text) => embedText(text),
    embeddingModel: 'simulator-openai/sim-embed-small',
  });
  const policy = core.resolveCachePolicy(
    'bench',
    {
      ttlSeconds: 3600,
      semanticThreshold: threshold,
      semanticMaxEntries: entries * 2,
      semanticMultiTurn: false,
    },
    undefined,
    undefined,
  );
  const request = (text) => ({ messages: [{ role: 'user', content: text }], temperature: 0 });
  const result = { text: 'cached answer', finish_reason: 'stop', cost_usd: 0.001 };

  try {
    const memoryBefore = await usedMemory(redis);
    const fillStarted = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < entries) {
          const index = next++;
          const query = await cache.prepare('sim-gpt-fast', request(promptAt(index)), policy);
          await cache.store(query, result);
        }
      }),
    );
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const bytesPerEntry = ((await usedMemory(redis)) - memoryBefore) / entries;
    process.stdout.write(`filled ${entries} entries in ${fillSeconds.toFixed(1)} s\n`);

    // A third repeats a stored prompt in other words' clothing (case, punctuation), a third
    // adds words (a near paraphrase, around the threshold), a third is unseen.
    const random = mulberry(7);
    const queryTexts = Array.from({ length: queries }, (_, index) => {
      const base = promptAt(Math.floor(random() * entries));
      if (index % 3 === 0) return base.toLowerCase().replace('?', '');
      if (index % 3 === 1) return base.replace('?', ', please?');
      return `${base.replace('?', '')} for a ${verbs[Math.floor(random() * 25)]}ing contest?`;
    });
    const prepared = [];
    for (const text of queryTexts)
      prepared.push(await cache.prepare('sim-gpt-fast', request(text), policy));
    for (const query of prepared.slice(0, 200)) await cache.lookup(query); // warm-up

    if (benchEnv.BENCH_DEBUG === '1') {
      await redis.config('SET', 'slowlog-log-slower-than', '0');
      await redis.slowlog('RESET');
      await redis.config('SET', 'slowlog-max-len', '100000');
    }
    const latencies = [];
    const found = [];
    for (const query of prepared) {
      const started = performance.now();
      const hit = await cache.lookup(query);
      latencies.push(performance.now() - started);
      found.push(hit?.score);
    }
    latencies.sort((a, b) => a - b);
    // The floor under this machine's load: one PING round trip, timed the same way.
    const pings = [];
    for (let index = 0; index < queries; index += 1) {
      const started = performance.now();
      await redis.ping();
      pings.push(performance.now() - started);
    }
    pings.sort((a, b) => a - b);
    if (benchEnv.BENCH_DEBUG === '1') {
      const log = await redis.slowlog('GET', 100000);
      const byCommand = {};
      for (const entry of log) {
        const command = String(entry[3][0]).toUpperCase();
        byCommand[command] = byCommand[command] ?? [];
        byCommand[command].push(entry[2]);
      }
      for (const [command, times] of Object.entries(byCommand)) {
        times.sort((a, b) => a - b);
        process.stdout.write(
          `${command} us p50 ${percentile(times, 0.5)} p99 ${percentile(times, 0.99)} n ${times.length}\n`,
        );
      }
      await redis.config('SET', 'slowlog-log-slower-than', '10000');
      const scope = keys.semanticCacheScope(policy.owner, prepared[0].scopeHash);
      const scanned = [];
      const candidates = [];
      for (const query of prepared.slice(0, 300)) {
        const buckets = await redis.hmget(scope.lsh, ...query.buckets);
        const counts = new Map();
        let total = 0;
        for (const ids of buckets)
          for (const id of (ids ?? '').split(',').filter(Boolean)) {
            total += 1;
            counts.set(id, (counts.get(id) ?? 0) + 1);
          }
        scanned.push(total);
        candidates.push([...counts.values()].filter((c) => c >= 2).length);
      }
      scanned.sort((a, b) => a - b);
      candidates.sort((a, b) => a - b);
      process.stdout.write(
        `ids scanned p50 ${percentile(scanned, 0.5)} p99 ${percentile(scanned, 0.99)}; candidates p50 ${percentile(candidates, 0.5)} p99 ${percentile(candidates, 0.99)}; fields ${await redis.hlen(scope.lsh)}\n`,
      );
    }

    // Exhaustive scan of the same vectors (in process memory, no Redis): the ground truth for
    // recall, and the baseline a lookup without an index would at best cost. The vectors are
    // computed again only now, so the timed lookups ran in a process of a worker's size (a
    // heap holding 100,000 vectors would time the garbage collector, not the cache).
    const stored = [];
    for (let index = 0; index < entries; index += 1) {
      const text = promptAt(index);
      stored.push({
        vector: core.unitVector(embedText(text)),
        guards: core.guardFeatures(text),
      });
    }
    const scanLatencies = [];
    let exhaustiveHits = 0;
    let lshHitsOfThose = 0;
    let wrongHits = 0;
    for (const [index, query] of prepared.slice(0, exhaustiveQueries).entries()) {
      const started = performance.now();
      let best = -1;
      for (const entry of stored) {
        const score = core.dot(query.vector, entry.vector);
        if (score > best && score >= threshold && core.guardsAgree(query.guards, entry.guards))
          best = score;
      }
      scanLatencies.push(performance.now() - started);
      if (best >= threshold) {
        exhaustiveHits += 1;
        if (found[index] !== undefined) lshHitsOfThose += 1;
      } else if (found[index] !== undefined) {
        wrongHits += 1;
      }
    }
    scanLatencies.sort((a, b) => a - b);

    const p50 = percentile(latencies, 0.5);
    const p99 = percentile(latencies, 0.99);
    const scanP50 = percentile(scanLatencies, 0.5);
    const recall = exhaustiveHits === 0 ? 1 : lshHitsOfThose / exhaustiveHits;
    const report = {
      scenario: 'semantic-cache',
      measured_at: new Date().toISOString(),
      node: process.version,
      load_average_1m: round(os.loadavg()[0], 2),
      cpus: os.cpus().length,
      entries_in_scope: entries,
      queries,
      hits: found.filter((score) => score !== undefined).length,
      redis_ping_ms: { p50: round(percentile(pings, 0.5)), p99: round(percentile(pings, 0.99)) },
      fill_seconds: round(fillSeconds, 1),
      redis_bytes_per_entry: Math.round(bytesPerEntry),
      rows: [
        {
          metric: `semantic lookup p99 at ${entries.toLocaleString('en')} entries (ms)`,
          baseline: round(percentile(scanLatencies, 0.99)),
          measured: round(p99),
          ratio: round(p99 / percentile(scanLatencies, 0.99)),
          target: '< 5 ms',
          met: p99 < 5,
          notes:
            "SemanticCache.lookup: HMGET of the query's 32 LSH buckets, HMGET of the top candidates' vectors, HGET of the answer; baseline: exhaustive in-memory scan of the same vectors",
        },
        {
          metric: `semantic lookup p50 at ${entries.toLocaleString('en')} entries (ms)`,
          baseline: round(scanP50),
          measured: round(p50),
          ratio: round(p50 / scanP50),
          target: 'report',
          met: true,
        },
        {
          metric: `LSH recall vs exhaustive search at cosine ${threshold}`,
          measured: round(recall, 4),
          target: '>= 0.98',
          met: recall >= 0.98,
          notes: `${lshHitsOfThose} of ${exhaustiveHits} hits an exhaustive search finds; ${wrongHits} hits it does not`,
        },
        {
          metric: 'hits an exhaustive search would not serve',
          measured: wrongHits,
          target: '0',
          met: wrongHits === 0,
        },
      ],
    };
    fs.mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'bench', 'results', 'semantic-cache.json'),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await removePrefix(redis, keys.prefix);
    await redis.quit();
    await server?.stop();
  }
}

async function usedMemory(redis) {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function removePrefix(redis, prefix) {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
}

function mulberry(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});
