// Scenario: provider spend. 10,000 prompts (`BENCH_COST_PROMPTS`): 60% originals, 30% exact
// repeats of an earlier prompt, 10% paraphrases of one; 60% simple and 40% complex. Run
// once with `model: "auto"` and the cache on (temperature 0, so answers are cacheable), once
// with every prompt on the strong model and `cache: "bypass"`. Spend is the sum of the
// results' `cost_usd`. The catalog is the repository's with `sim-local-llama` (price 0)
// disabled, so the fast tier is priced like a paid fast model (`sim-gpt-fast`), not free.
// Paraphrases can only hit a semantic cache; the hit mix shows which cache answered what.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import YAML from 'yaml';
import { benchEnv } from './lib/bench-env.mjs';
import {
  apiKey,
  llmqEnv,
  quick,
  root,
  round,
  row,
  runScenario,
  startApi,
  startSimulator,
  startWorker,
  writeScenario,
} from './lib/harness.mjs';
import { openQueue } from './lib/queues.mjs';

const total = benchEnv.BENCH_COST_PROMPTS ?? (quick ? 1_000 : 10_000);
const topics = [
  'rivers',
  'bridges',
  'volcanoes',
  'libraries',
  'harbours',
  'forests',
  'glaciers',
  'markets',
  'railways',
  'deserts',
];

/** Deterministic pseudo-random numbers, so every run sends the same prompts. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function original(index, complex) {
  const topic = topics[index % topics.length];
  if (!complex)
    return {
      text: `Name one famous example of ${topic}, number ${index}.`,
      paraphrase: `Could you name a well-known example of ${topic}, number ${index}?`,
    };
  return {
    text: `Analyze and compare the trade-offs of two designs for a system about ${topic} (case ${index}). First explain the constraints, then evaluate each design step by step, and finally justify a recommendation in detail.`,
    paraphrase: `For case ${index} about ${topic}: analyze two competing designs, compare their trade-offs, explain the constraints first, then evaluate each design step by step and justify which to pick, in detail.`,
  };
}

/** The prompt sequence: originals, and repeats/paraphrases of an original sent ≥ 200 earlier. */
function prompts() {
  const next = random(42);
  const originals = [];
  const list = [];
  for (let index = 0; index < total; index += 1) {
    const draw = next();
    const eligible = originals.filter((item) => item.position <= index - 200);
    if (draw < 0.3 && eligible.length > 0) {
      const source = eligible[Math.floor(next() * eligible.length)];
      list.push({ kind: 'repeat', complex: source.complex, text: source.text });
    } else if (draw < 0.4 && eligible.length > 0) {
      const source = eligible[Math.floor(next() * eligible.length)];
      list.push({ kind: 'paraphrase', complex: source.complex, text: source.paraphrase });
    } else {
      const complex = next() < 0.4;
      const item = { ...original(index, complex), complex, position: index };
      originals.push(item);
      list.push({ kind: 'original', complex, text: item.text });
    }
  }
  return list;
}

/** Submits every prompt (`concurrency` in flight) and returns each job's stored result. */
async function run(apiUrl, redisUrl, list, fields) {
  const ids = new Array(list.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < list.length) {
        const index = next;
        next += 1;
        const response = await fetch(`${apiUrl}/v1/jobs`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            messages: [{ role: 'user', content: list[index].text }],
            max_tokens: list[index].complex ? 400 : 60,
            temperature: 0,
            ...fields,
          }),
        });
        const answer = await response.json();
        if (response.status !== 202)
          throw new Error(`submit answered ${response.status}: ${JSON.stringify(answer)}`);
        ids[index] = answer.id;
      }
    }),
  );
  const standard = openQueue(redisUrl, 'prompts-standard', 'bench');
  await standard.drained(performance.now(), 1_800_000);
  await standard.close();
  const redis = new Redis(redisUrl);
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(`bench:job:${id}`, 'result');
  const results = (await pipeline.exec()).map(([, value]) =>
    value ? JSON.parse(value) : undefined,
  );
  await redis.quit();
  return results;
}

function tally(list, results) {
  const summary = {
    spend_usd: 0,
    completed: 0,
    missing: 0,
    complex_on_fast_tier: 0,
    hits: { original: 0, repeat: 0, paraphrase: 0 },
    counts: { original: 0, repeat: 0, paraphrase: 0 },
    models: {},
  };
  list.forEach((prompt, index) => {
    const result = results[index];
    summary.counts[prompt.kind] += 1;
    if (!result) {
      summary.missing += 1;
      return;
    }
    summary.completed += 1;
    summary.spend_usd += result.cost_usd ?? 0;
    if (result.cached) summary.hits[prompt.kind] += 1;
    const model = result.model;
    summary.models[model] = (summary.models[model] ?? 0) + 1;
    if (prompt.complex && result.routing?.tier === 'fast') summary.complex_on_fast_tier += 1;
  });
  summary.spend_usd = round(summary.spend_usd, 6);
  return summary;
}

await runScenario('cost', async (redis) => {
  const catalogFile = path.join(os.tmpdir(), `llmq-bench-catalog-${process.pid}.yaml`);
  const catalog = YAML.parse(fs.readFileSync(path.join(root, 'config', 'models.yaml'), 'utf8'));
  for (const model of catalog.models) if (model.id === 'sim-local-llama') model.enabled = false;
  fs.writeFileSync(catalogFile, YAML.stringify(catalog));
  try {
    const list = prompts();
    const simulator = await startSimulator();
    const env = llmqEnv(redis.url, simulator.url, { MODEL_CATALOG_PATH: catalogFile });
    const api = await startApi(env);
    await startWorker({ ...env, WORKER_CONCURRENCY: '50' });
    const baseline = tally(
      list,
      await run(api.url, redis.url, list, { model: 'sim-gpt-strong', cache: 'bypass' }),
    );
    const llmq = tally(list, await run(api.url, redis.url, list, { model: 'auto' }));
    const ratio = round(llmq.spend_usd / baseline.spend_usd, 3);
    const percent = (hits, count) =>
      `${hits}/${count} (${count ? Math.round((100 * hits) / count) : 0}%)`;
    writeScenario(
      'cost',
      [
        row({
          metric: `provider spend USD, ${total.toLocaleString('en')} mixed prompts`,
          baseline: baseline.spend_usd,
          measured: llmq.spend_usd,
          ratio,
          target: '≤ 0.4×',
          met: ratio <= 0.4 && llmq.missing === 0 && baseline.missing === 0,
          notes: `models used: ${Object.entries(llmq.models)
            .map(([model, count]) => `${model} ${count}`)
            .join(', ')}`,
        }),
        row({
          metric: 'complex prompts routed to the fast tier',
          measured: llmq.complex_on_fast_tier,
          target: '0',
          met: llmq.complex_on_fast_tier === 0,
        }),
        row({
          metric: 'cache hits by prompt kind',
          measured: `repeats ${percent(llmq.hits.repeat, llmq.counts.repeat)}, paraphrases ${percent(llmq.hits.paraphrase, llmq.counts.paraphrase)}, originals ${percent(llmq.hits.original, llmq.counts.original)}`,
          target: 'reported',
          met: true,
          notes: 'paraphrase hits need the semantic cache',
        }),
      ],
      { prompts: total, baseline, llmq },
    );
  } finally {
    fs.rmSync(catalogFile, { force: true });
  }
});
