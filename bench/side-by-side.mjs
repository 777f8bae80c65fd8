// Side-by-side CPU per job of several built trees, async end to end, in one run: each tree's API
// and worker (concurrency 50) stay up on one private Redis (a prefix each) and one simulator
// (0 ms); every round submits through each tree's API at c=50 for a few seconds in turn (the
// order rotated each round) and waits for its queue to drain. CPU per process is every thread's
// run time from /proc/<pid>/task/*/schedstat (ns resolution, GC helper threads included);
// Redis's is its run time while that tree is driven (the other trees idle meanwhile), and each
// tree's requests per second are its answered submits over the round's seconds.
//
//   node bench/side-by-side.mjs [--rounds 8] [--seconds 4] [--c 50] [--rate 0] [--warmup 3] [--sync]
//     [--worker-node-args TAG=--flag,--flag] [--api-node-args TAG=--flag,--flag]
//     [--env TAG=NAME=value,NAME=value] TAG=TREE ...
//
// Each tree's worker and API get the node arguments that tree starts them with
// (`apps/worker/dist/node-arguments.js`, `apps/api/dist/node-arguments.js`, when the tree has
// them); `--worker-node-args` and `--api-node-args` add node arguments to one tag's worker or API
// (a V8 flag measured against the same tree without it; a later flag wins over the tree's own).
// `--env` starts one tag's API and worker with these variables over the probe's own (a setting
// measured against the same tree without it: `--env B=INLINE_CONCURRENCY=4 A=. A2=. B=. B2=.`
// needs `--env B2=…` too; the tags of one tree and one env are pooled as one tree at the end).
//
// `--sync` drives `POST /v1/chat/completions` instead (the body of bench/sync-endpoint.mjs, the
// worker at INTERACTIVE_CONCURRENCY=100 as there): each answered request is a job run to its end,
// so there is nothing to drain.
//
// `--warmup S` drives each tree for S seconds before the rounds (default 3).
//
// `--own-simulator` gives each tree its own simulator, started from that tree, and reports its
// CPU per job too (a change to the simulator measured end to end); by default one simulator,
// from the tree the probe runs in, serves every tree.
//
// `--rate N` submits N per second over the c connections (autocannon's overallRate) instead of
// as fast as answers come, so every tree's worker sees the same arrival rate: a faster API
// otherwise feeds its worker faster, and a busier worker spends less CPU per job (more jobs per
// Redis round trip and per turn of its event loop).
//
// The first tag is the reference: each other tag's CPU per job is given over it, per round and
// as the geometric mean of the rounds. Give one tree twice (A=tree A2=tree) for an A/A control.
// Wrap it in `flock /work/bench.lock` on a shared machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  apiKey,
  cannon,
  freePort,
  memoryOf,
  startProcess,
  startRedis,
  startSimulator,
  stopAll,
  summarize,
  waitForHttp,
} from './lib/harness.mjs';
import { openQueue } from './lib/queues.mjs';
import {
  checkTags,
  envArgument,
  roundOrder,
  setNumberOption,
  threadCpuMs,
  treeArgument,
} from './lib/trees.mjs';

const options = { rounds: 8, seconds: 4, c: 50, rate: 0, warmup: 3 };
let sync = false;
let ownSimulator = false;
const trees = [];
const extraNodeArgs = { worker: new Map(), api: new Map() };
const extraEnv = new Map();
const argv = process.argv.slice(2);
for (let index = 0; index < argv.length; index += 1) {
  const argument = argv[index];
  if (argument === '--worker-node-args' || argument === '--api-node-args') {
    const [tag, list] = (argv[++index] ?? '').split(/=(.*)/s);
    if (!tag || !list) throw new Error(`${argument}: expected TAG=--flag[,--flag]`);
    extraNodeArgs[argument === '--api-node-args' ? 'api' : 'worker'].set(tag, list.split(','));
  } else if (argument === '--env') {
    const [tag, env] = envArgument(argv[++index]);
    extraEnv.set(tag, { ...extraEnv.get(tag), ...env });
  } else if (argument === '--sync') {
    sync = true;
  } else if (argument === '--own-simulator') {
    ownSimulator = true;
  } else if (argument.startsWith('--')) {
    setNumberOption(options, argument, argv[++index]);
  } else {
    trees.push(treeArgument(argument));
  }
}
if (trees.length < 2) throw new Error('give at least two TAG=TREE');
checkTags(trees, '--env', extraEnv.keys());
checkTags(trees, '--api-node-args', extraNodeArgs.api.keys());
checkTags(trees, '--worker-node-args', extraNodeArgs.worker.keys());

const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [
    {
      role: 'user',
      content: sync
        ? 'echo: the quick brown fox jumps over the lazy dog'
        : 'Summarise the quick brown fox in one line.',
    },
  ],
  max_tokens: 32,
});
const route = sync ? '/v1/chat/completions' : '/v1/jobs';
const headers = { authorization: `Bearer ${apiKey}` };

const redis = await startRedis();
const simulator = ownSimulator ? undefined : await startSimulator();

/** A simulator started from `tree` (`--own-simulator`), on a free port. */
async function startTreeSimulator(tag, tree) {
  const port = await freePort();
  const service = startProcess(
    path.join(tree, 'apps/llm-simulator/dist/main.js'),
    { SIMULATOR_PORT: String(port), SIMULATOR_HOST: '127.0.0.1' },
    { name: `simulator-${tag}` },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/_sim/health`, service);
  return { url, service };
}

/** The node arguments a tree starts an app with (`npm start` and the image), if it has any. */
async function treeNodeArguments(tree, app) {
  const module = path.join(tree, `apps/${app}/dist/node-arguments.js`);
  if (!fs.existsSync(module)) return [];
  return (await import(pathToFileURL(module).href))[`${app}NodeArguments`] ?? [];
}
const nodeArgumentsOf = async (app, { tag, tree }) => [
  ...(await treeNodeArguments(tree, app)),
  ...(extraNodeArgs[app].get(tag) ?? []),
];

async function startTree({ tag, tree }) {
  const treeSimulator = simulator ?? (await startTreeSimulator(tag, tree));
  const env = {
    REDIS_URL: redis.url,
    LLMQ_PREFIX: `side${tag}`,
    SIMULATOR_URL: treeSimulator.url,
    API_KEYS: `bench:${apiKey}`,
  };
  const tagEnv = extraEnv.get(tag) ?? {};
  const apiPort = await freePort();
  const apiMetricsPort = await freePort();
  const api = startProcess(
    path.join(tree, 'apps/api/dist/main.js'),
    {
      ...env,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      METRICS_PORT: String(apiMetricsPort),
      ...tagEnv,
    },
    { name: `api-${tag}`, nodeArguments: await nodeArgumentsOf('api', { tag, tree }) },
  );
  const url = `http://127.0.0.1:${apiPort}`;
  await waitForHttp(`${url}/readyz`, api);
  const metricsPort = await freePort();
  const worker = startProcess(
    path.join(tree, 'apps/worker/dist/main.js'),
    {
      ...env,
      WORKER_CONCURRENCY: '50',
      INTERACTIVE_CONCURRENCY: '100',
      WORKER_METRICS_PORT: String(metricsPort),
      WORKER_METRICS_HOST: '127.0.0.1',
      ...tagEnv,
    },
    {
      name: `worker-${tag}`,
      nodeArguments: await nodeArgumentsOf('worker', { tag, tree }),
    },
  );
  await waitForHttp(`http://127.0.0.1:${metricsPort}/healthz`, worker);
  const queue = openQueue(
    redis.url,
    sync ? 'prompts-interactive' : 'prompts-standard',
    `side${tag}`,
  );
  return {
    tag,
    url,
    api,
    worker,
    simulator: simulator === undefined ? treeSimulator.service : undefined,
    queue,
    metricsPort,
    apiMetricsPort,
    rounds: [],
  };
}

const running = [];
for (const tree of trees) running.push(await startTree(tree));

const cpuOf = (t) => [
  threadCpuMs(t.api.pid),
  threadCpuMs(t.worker.pid),
  threadCpuMs(redis.pid),
  t.simulator === undefined ? 0 : threadCpuMs(t.simulator.pid),
];

async function drive(t, seconds) {
  const before = cpuOf(t);
  const started = performance.now();
  const submitted = summarize(
    await cannon({
      url: `${t.url}${route}`,
      body,
      headers,
      connections: options.c,
      seconds,
      ...(options.rate > 0 ? { rate: options.rate } : {}),
    }),
  );
  const ms = await t.queue.drained(started);
  const after = cpuOf(t);
  return {
    jobs: submitted.ok,
    perSecond: submitted.ok / seconds,
    errors: submitted.errors,
    ms,
    api: after[0] - before[0],
    worker: after[1] - before[1],
    redis: after[2] - before[2],
    simulator: after[3] - before[3],
    total: after[0] + after[1] + after[2] - before[0] - before[1] - before[2],
  };
}

// Warm-up: JIT, sockets, scripts loaded. V8 was seen compiling the sync path for ~20 s at c=50
// (docs/performance.md, session 16): a longer `--warmup` keeps that out of the first rounds.
for (const t of running) await drive(t, options.warmup);
const loads = [os.loadavg()[0]];
for (let round = 0; round < options.rounds; round += 1) {
  const line = [];
  for (const t of roundOrder(running, round)) {
    const result = await drive(t, options.seconds);
    t.rounds.push(result);
    const perJob = (what) => ((1000 * result[what]) / result.jobs).toFixed(1);
    line.push(
      `${t.tag} ${result.jobs} jobs worker ${perJob('worker')} api ${perJob('api')} redis ${perJob('redis')}${ownSimulator ? ` simulator ${perJob('simulator')}` : ''} µs/job`,
    );
  }
  loads.push(os.loadavg()[0]);
  process.stdout.write(
    `round ${round} (load ${os.loadavg()[0].toFixed(1)}): ${line.join(' | ')}\n`,
  );
}

const perJob = (result, what) => result[what] / result.jobs;
const geomean = (values) =>
  Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};
const [reference, ...others] = running;
// `total` is API, worker and Redis, with or without `--own-simulator`.
const cpuFigures = ['worker', 'api', 'redis', ...(ownSimulator ? ['simulator'] : []), 'total'];
for (const what of cpuFigures) {
  const total = (t) =>
    t.rounds.reduce((sum, r) => sum + r[what], 0) / t.rounds.reduce((sum, r) => sum + r.jobs, 0);
  process.stdout.write(
    `\n${what} µs/job: ${running.map((t) => `${t.tag} ${(1000 * total(t)).toFixed(1)}`).join(', ')}\n`,
  );
  for (const t of others) {
    const ratios = t.rounds.map((r, i) => perJob(r, what) / perJob(reference.rounds[i], what));
    process.stdout.write(
      `${what} ${t.tag}/${reference.tag}: pooled ${(total(t) / total(reference)).toFixed(3)}, geomean of rounds ${geomean(ratios).toFixed(3)}, median ${median(ratios).toFixed(3)}, rounds ${ratios.map((v) => v.toFixed(3)).join(' ')}\n`,
    );
  }
}
// Requests answered per second (sync) or submits accepted per second (async), over the rounds.
const jobsOf = (t) => t.rounds.reduce((sum, r) => sum + r.jobs, 0);
process.stdout.write(
  `\nreq/s (mean of rounds): ${running.map((t) => `${t.tag} ${(jobsOf(t) / (t.rounds.length * options.seconds)).toFixed(0)}`).join(', ')}\n`,
);
for (const t of others) {
  const ratios = t.rounds.map((r, i) => r.perSecond / reference.rounds[i].perSecond);
  process.stdout.write(
    `req/s ${t.tag}/${reference.tag}: pooled ${(jobsOf(t) / jobsOf(reference)).toFixed(3)}, geomean of rounds ${geomean(ratios).toFixed(3)}, median ${median(ratios).toFixed(3)}, rounds ${ratios.map((v) => v.toFixed(3)).join(' ')}\n`,
  );
}
// The tags of one tree with the same node arguments and env, pooled: one process of a tree read
// up to 12% off another of the same tree over a whole run, so each tree runs as several.
const byTree = new Map();
for (const t of running) {
  const tree = trees.find((item) => item.tag === t.tag).tree;
  const key = [
    tree,
    'worker',
    ...(extraNodeArgs.worker.get(t.tag) ?? []),
    'api',
    ...(extraNodeArgs.api.get(t.tag) ?? []),
    'env',
    ...Object.entries(extraEnv.get(t.tag) ?? {}).map(([name, value]) => `${name}=${value}`),
  ].join(' ');
  byTree.set(key, [...(byTree.get(key) ?? []), t]);
}
if (byTree.size < running.length) {
  const pooled = (group, what) =>
    group.reduce((sum, t) => sum + t.rounds.reduce((s, r) => s + r[what], 0), 0) /
    group.reduce((sum, t) => sum + t.rounds.reduce((s, r) => s + r.jobs, 0), 0);
  const [first, ...rest] = [...byTree.values()];
  for (const what of cpuFigures) {
    for (const group of rest) {
      process.stdout.write(
        `${what} by tree, ${group.map((t) => t.tag).join('+')} over ${first.map((t) => t.tag).join('+')}: ${(pooled(group, what) / pooled(first, what)).toFixed(3)}\n`,
      );
    }
  }
  const answered = (group) => group.reduce((sum, t) => sum + jobsOf(t), 0) / group.length;
  for (const group of rest) {
    process.stdout.write(
      `req/s by tree, ${group.map((t) => t.tag).join('+')} over ${first.map((t) => t.tag).join('+')}: ${(answered(group) / answered(first)).toFixed(3)}\n`,
    );
  }
}
// Each process's young generation and GC time, from its metrics (prom-client's default gauges):
// a process that settled at a smaller new space collects more often for the same jobs.
for (const t of running) {
  const jobs = t.rounds.reduce((sum, r) => sum + r.jobs, 0);
  for (const [what, port, pid] of [
    ['worker', t.metricsPort, t.worker.pid],
    ['api', t.apiMetricsPort, t.api.pid],
  ]) {
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const newSpace = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)/m.exec(metrics)?.[1];
    const gcSeconds = [
      ...metrics.matchAll(/^nodejs_gc_duration_seconds_sum\{kind="(\w+)"\} (\S+)/gm),
    ]
      .map(([, kind, value]) => `${kind} ${Number(value).toFixed(2)} s`)
      .join(', ');
    const { peakMb, currentMb } = memoryOf(pid);
    process.stdout.write(
      `${t.tag} ${what}: new space ${(Number(newSpace) / 2 ** 20).toFixed(1)} MB; RSS ${currentMb} MB (peak ${peakMb}); GC since start ${gcSeconds} (${jobs} jobs measured)\n`,
    );
  }
}
const errors = running.reduce((sum, t) => sum + t.rounds.reduce((s, r) => s + r.errors, 0), 0);
const failed = [];
for (const t of running) failed.push(`${t.tag} ${await t.queue.failed()}`);
process.stdout.write(
  `\nsubmit errors ${errors}; failed jobs ${failed.join(', ')}; load ${loads.map((l) => l.toFixed(1)).join(' ')}\n`,
);
for (const t of running) await t.queue.close();
await stopAll();
await redis.stop();
process.exit(0);
