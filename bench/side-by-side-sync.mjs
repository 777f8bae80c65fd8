// Side-by-side sync requests at one connection (c=1) of several built trees: each tree's API,
// worker and its own private Redis stay up (one simulator, 0 ms, shared); every round sends
// sequential `POST /v1/chat/completions` through each tree in turn (the order rotated each
// round) for a few seconds. Per tree and round: p50 and p90 of the request's latency (µs, timed
// here over a keep-alive socket), CPU per request of the API, the worker and the tree's Redis
// (every thread's run time from /proc/<pid>/task/*/schedstat), and Redis' commands per request
// (`INFO commandstats`). Before the rounds, each tree's processes' CPU per second while idle.
//
//   node bench/side-by-side-sync.mjs [--rounds 8] [--seconds 4] [--idle 4] [--commands 1]
//     [--env TAG=NAME=value,NAME=value] TAG=TREE ...
//
// `--env` starts one tag's API and worker with these variables over the probe's own (a setting
// measured against the same tree without it), as in bench/side-by-side.mjs.
// The first tag is the reference. Give one tree twice (A=tree A2=tree) for an A/A control.
// Wrap it in `flock /work/bench.lock` on a shared machine.
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  apiKey,
  freePort,
  sleep,
  startProcess,
  startRedis,
  startSimulator,
  stopAll,
  waitForHttp,
} from './lib/harness.mjs';
import {
  checkTags,
  envArgument,
  roundOrder,
  setNumberOption,
  threadCpuMs,
  treeArgument,
} from './lib/trees.mjs';

const require = createRequire(import.meta.url);
const Redis = require('ioredis');

const options = { rounds: 8, seconds: 4, idle: 4, commands: 1 };
const trees = [];
const extraEnv = new Map();
const argv = process.argv.slice(2);
for (let index = 0; index < argv.length; index += 1) {
  const argument = argv[index];
  if (argument === '--env') {
    const [tag, env] = envArgument(argv[++index]);
    extraEnv.set(tag, { ...extraEnv.get(tag), ...env });
  } else if (argument.startsWith('--')) {
    setNumberOption(options, argument, argv[++index]);
  } else {
    trees.push(treeArgument(argument));
  }
}
if (trees.length < 2) throw new Error('give at least two TAG=TREE');
checkTags(trees, '--env', extraEnv.keys());

const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'echo: the quick brown fox jumps over the lazy dog' }],
  max_tokens: 32,
});

/** Context switches (voluntary: the process slept and was woken) of every thread so far. */
function wakeUps(pid) {
  let count = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      count += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return count;
}

/** Write-type syscalls (write, writev) of the process so far, from /proc/<pid>/io. */
function writeCalls(pid) {
  return Number(/syscw:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
}

/** `INFO commandstats` as a map from command to calls. */
async function commandCalls(client) {
  const calls = new Map();
  for (const line of (await client.info('commandstats')).split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match) calls.set(match[1], Number(match[2]));
  }
  return calls;
}

const simulator = await startSimulator();

async function treeWorkerArguments(tree) {
  const module = path.join(tree, 'apps/worker/dist/node-arguments.js');
  if (!fs.existsSync(module)) return [];
  return (await import(pathToFileURL(module).href)).workerNodeArguments;
}

async function startTree({ tag, tree }) {
  const redis = await startRedis();
  const env = {
    REDIS_URL: redis.url,
    LLMQ_PREFIX: 'bench',
    SIMULATOR_URL: simulator.url,
    API_KEYS: `bench:${apiKey}`,
  };
  const tagEnv = extraEnv.get(tag) ?? {};
  const apiPort = await freePort();
  const api = startProcess(
    path.join(tree, 'apps/api/dist/main.js'),
    { ...env, PORT: String(apiPort), HOST: '127.0.0.1', ...tagEnv },
    { name: `api-${tag}` },
  );
  await waitForHttp(`http://127.0.0.1:${apiPort}/readyz`, api);
  const metricsPort = await freePort();
  const worker = startProcess(
    path.join(tree, 'apps/worker/dist/main.js'),
    {
      ...env,
      INTERACTIVE_CONCURRENCY: '100',
      WORKER_METRICS_PORT: String(metricsPort),
      WORKER_METRICS_HOST: '127.0.0.1',
      ...tagEnv,
    },
    { name: `worker-${tag}`, nodeArguments: await treeWorkerArguments(tree) },
  );
  await waitForHttp(`http://127.0.0.1:${metricsPort}/healthz`, worker);
  const client = new Redis(redis.url, { lazyConnect: false });
  return { tag, apiPort, api, worker, redis, client, rounds: [] };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function post(port) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

const processesOf = (t) => ({ api: t.api.pid, worker: t.worker.pid, redis: t.redis.pid });
const cpuOf = (t) =>
  Object.fromEntries(Object.entries(processesOf(t)).map(([name, pid]) => [name, threadCpuMs(pid)]));
const countsOf = (t) =>
  Object.fromEntries(
    Object.entries(processesOf(t)).map(([name, pid]) => [name, [wakeUps(pid), writeCalls(pid)]]),
  );

async function drive(t, seconds) {
  const before = cpuOf(t);
  const countsBefore = countsOf(t);
  const callsBefore = options.commands ? await commandCalls(t.client) : undefined;
  const latencies = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    const started = performance.now();
    const status = await post(t.apiPort);
    latencies.push(performance.now() - started);
    if (status !== 200) errors += 1;
  }
  const after = cpuOf(t);
  const countsAfter = countsOf(t);
  const callsAfter = options.commands ? await commandCalls(t.client) : undefined;
  latencies.sort((a, b) => a - b);
  const n = latencies.length;
  const commands = {};
  if (callsAfter) {
    for (const [name, calls] of callsAfter) {
      const delta = calls - (callsBefore.get(name) ?? 0) - (name === 'info' ? 1 : 0);
      if (delta > 0) commands[name] = delta / n;
    }
  }
  return {
    requests: n,
    errors,
    p50: latencies[Math.floor(n * 0.5)],
    p90: latencies[Math.floor(n * 0.9)],
    cpu: Object.fromEntries(Object.keys(before).map((k) => [k, (after[k] - before[k]) / n])),
    commands,
    wakes: Object.fromEntries(
      Object.keys(countsBefore).map((k) => [k, (countsAfter[k][0] - countsBefore[k][0]) / n]),
    ),
    writes: Object.fromEntries(
      Object.keys(countsBefore).map((k) => [k, (countsAfter[k][1] - countsBefore[k][1]) / n]),
    ),
  };
}

const running = [];
for (const tree of trees) running.push(await startTree(tree));
for (const t of running) await drive(t, 2); // warm-up: JIT, sockets, scripts loaded

if (options.idle > 0) {
  await sleep(1000);
  const before = running.map(cpuOf);
  await sleep(options.idle * 1000);
  const after = running.map(cpuOf);
  running.forEach((t, i) => {
    const perSecond = Object.keys(before[i])
      .map((k) => `${k} ${((after[i][k] - before[i][k]) / options.idle).toFixed(1)}`)
      .join(', ');
    process.stdout.write(`${t.tag} idle CPU ms per second: ${perSecond}\n`);
  });
}

const loads = [os.loadavg()[0]];
for (let round = 0; round < options.rounds; round += 1) {
  const line = [];
  for (const t of roundOrder(running, round)) {
    const result = await drive(t, options.seconds);
    t.rounds.push(result);
    line.push(
      `${t.tag} ${result.requests} p50 ${(result.p50 * 1000).toFixed(0)} µs cpu api ${(result.cpu.api * 1000).toFixed(0)} worker ${(result.cpu.worker * 1000).toFixed(0)} redis ${(result.cpu.redis * 1000).toFixed(0)}`,
    );
  }
  loads.push(os.loadavg()[0]);
  process.stdout.write(
    `round ${round} (load ${os.loadavg()[0].toFixed(1)}): ${line.join(' | ')}\n`,
  );
}

const geomean = (values) =>
  Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);
const [reference, ...others] = running;
const figures = {
  p50: (r) => r.p50,
  p90: (r) => r.p90,
  api: (r) => r.cpu.api,
  worker: (r) => r.cpu.worker,
  redis: (r) => r.cpu.redis,
  total: (r) => r.cpu.api + r.cpu.worker + r.cpu.redis,
};
process.stdout.write('\nmeans over rounds (ms):\n');
for (const t of running) {
  const means = Object.entries(figures).map(
    ([name, pick]) =>
      `${name} ${(t.rounds.reduce((sum, r) => sum + pick(r), 0) / t.rounds.length).toFixed(3)}`,
  );
  process.stdout.write(`${t.tag}: ${means.join(', ')}\n`);
}
process.stdout.write(`\nratios over ${reference.tag} (geomean of rounds):\n`);
for (const t of others) {
  const ratios = Object.entries(figures).map(
    ([name, pick]) =>
      `${name} ${geomean(t.rounds.map((r, i) => pick(r) / pick(reference.rounds[i]))).toFixed(3)}`,
  );
  process.stdout.write(`${t.tag}/${reference.tag}: ${ratios.join(', ')}\n`);
}
if (options.commands) {
  process.stdout.write('\nRedis commands per request (last round):\n');
  for (const t of running) {
    const last = t.rounds.at(-1).commands;
    const total = Object.values(last).reduce((sum, v) => sum + v, 0);
    const list = Object.entries(last)
      .sort((a, b) => b[1] - a[1])
      .map(([name, v]) => `${name} ${v.toFixed(2)}`)
      .join(', ');
    process.stdout.write(`${t.tag} (${total.toFixed(1)}): ${list}\n`);
  }
}
process.stdout.write(
  '\nper request, mean over rounds: wake-ups (voluntary context switches), write syscalls:\n',
);
for (const t of running) {
  const mean = (what, k) => t.rounds.reduce((sum, r) => sum + r[what][k], 0) / t.rounds.length;
  const list = ['api', 'worker', 'redis']
    .map((k) => `${k} ${mean('wakes', k).toFixed(2)} / ${mean('writes', k).toFixed(2)}`)
    .join(', ');
  process.stdout.write(`${t.tag}: ${list}\n`);
}
const errors = running.reduce((sum, t) => sum + t.rounds.reduce((s, r) => s + r.errors, 0), 0);
process.stdout.write(`\nerrors ${errors}; load ${loads.map((l) => l.toFixed(1)).join(' ')}\n`);
for (const t of running) t.client.disconnect();
await stopAll();
for (const t of running) await t.redis.stop();
process.exit(0);
