// What every scenario shares: a private Redis, the built apps as child processes, autocannon
// runs, process memory, and the result file each scenario writes (bench/README.md has the
// contract). Nothing here measures anything by itself.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { benchEnv } from './bench-env.mjs';

const require = createRequire(import.meta.url);
const localRedis = require('../../scripts/lib/local-redis.js');

export const benchDirectory = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const root = path.resolve(benchDirectory, '..');
/** `BENCH_QUICK=1`: short runs and small counts, a smoke test of the scenarios, not figures. */
export const quick = benchEnv.BENCH_QUICK === '1';

/** Where results go; a quick run writes to results/quick/ so it never replaces real figures. */
export const resultsDirectory = path.join(benchDirectory, 'results', ...(quick ? ['quick'] : []));

/** Seconds of each measured HTTP run (`BENCH_DURATION`, default 10, quick 3). */
export const duration = benchEnv.BENCH_DURATION ?? (quick ? 3 : 10);

/** Seconds of the warm-up before each measured run. */
export const warmup = quick ? 1 : 3;

/**
 * Seconds of the warm-up before a run that must measure processes in their steady state: a
 * sync request through llmq's API and worker keeps V8 compiling for ~14,000 requests (~20 s
 * at c=50 here, docs/performance.md, helper "apisync"), so 3 s measured cold code; an async
 * submit's API CPU per job settles after ~7 s at c=50 (helper "benchmethod"). Every target of
 * such a run gets the same warm-up.
 */
export const steadyWarmup = quick ? 1 : 20;

export const apiKey = 'bench-key-000001';
export const freePort = localRedis.freePort;

const children = new Set();

/** Starts a throwaway redis-server on a free port (no AOF, noeviction). */
export async function startRedis() {
  if (!localRedis.hasRedisServer()) throw new Error('redis-server is not installed');
  const port = await freePort();
  const dir = path.join(os.tmpdir(), `llmq-bench-redis-${port}`);
  const server = await localRedis.startRedisServer({ port, dir, appendOnly: false });
  return {
    ...server,
    name: 'redis',
    async stop() {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs a Node script as a child process; output is kept and shown only when it fails.
 * `nodeArguments` go before the script (e.g. `--cpu-prof`), `scriptArguments` after it.
 */
export function startProcess(
  script,
  env,
  { nodeArguments = [], scriptArguments = [], name = path.basename(script) } = {},
) {
  const child = spawn(process.execPath, [...nodeArguments, script, ...scriptArguments], {
    env: { PATH: benchEnv.PATH, LOG_LEVEL: 'warn', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  const handle = {
    name,
    child,
    pid: child.pid,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      children.delete(handle);
    },
  };
  children.add(handle);
  return handle;
}

/**
 * Starts a built llmq app (`apps/<app>/dist/main.js`). `BENCH_PROFILE=1` adds `--cpu-prof`
 * with the profiles written to bench/results/profiles/.
 */
export async function startApp(app, env) {
  const nodeArguments = app === 'worker' ? [...(await workerNodeArguments())] : [];
  if (benchEnv.BENCH_PROFILE === '1') {
    const directory = path.join(benchDirectory, 'results', 'profiles');
    fs.mkdirSync(directory, { recursive: true });
    nodeArguments.push(
      '--cpu-prof',
      `--cpu-prof-dir=${directory}`,
      `--cpu-prof-name=${app}-${Date.now()}.cpuprofile`,
    );
  }
  return startProcess(path.join(root, 'apps', app, 'dist', 'main.js'), env, {
    nodeArguments,
    name: app,
  });
}

/** The node arguments every way llmq starts a worker gives it (apps/worker/src/node-arguments.ts). */
async function workerNodeArguments() {
  const built = path.join(root, 'apps', 'worker', 'dist', 'node-arguments.js');
  return (await import(pathToFileURL(built).href)).workerNodeArguments;
}

/** Starts the simulator on a free port; resolves with its base URL (no `/v1`). */
export async function startSimulator(extraEnv = {}) {
  const port = await freePort();
  const service = await startApp('llm-simulator', {
    SIMULATOR_PORT: String(port),
    SIMULATOR_HOST: '127.0.0.1',
    ...extraEnv,
  });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/_sim/health`, service);
  return { url, service };
}

/** The environment the API and worker share in a scenario. */
export function llmqEnv(redisUrl, simulatorUrl, extra = {}) {
  return {
    REDIS_URL: redisUrl,
    LLMQ_PREFIX: 'bench',
    SIMULATOR_URL: simulatorUrl,
    API_KEYS: `bench:${apiKey}`,
    ...extra,
  };
}

/** Starts the API on a free port; resolves with its URL once `/readyz` answers. */
export async function startApi(env) {
  const port = await freePort();
  const service = await startApp('api', { ...env, PORT: String(port), HOST: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/readyz`, service);
  return { url, service };
}

/** Starts a worker; resolves once its metrics port answers `/healthz`. */
export async function startWorker(env) {
  const port = await freePort();
  const service = await startApp('worker', {
    ...env,
    WORKER_METRICS_PORT: String(port),
    WORKER_METRICS_HOST: '127.0.0.1',
  });
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, service);
  return { service, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}

/** Starts one of the baseline programs in bench/baselines/ on a free port (when it serves HTTP). */
export async function startBaseline(name, env = {}) {
  const port = await freePort();
  const service = startProcess(path.join(benchDirectory, 'baselines', `${name}.mjs`), {
    ...env,
    PORT: String(port),
  });
  const url = `http://127.0.0.1:${port}`;
  if (env.NO_HTTP !== '1') await waitForHttp(`${url}/healthz`, service);
  return { url, service };
}

export async function waitForHttp(url, service, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service && service.child.exitCode !== null)
      throw new Error(
        `${service.name} exited with ${service.child.exitCode}:\n${service.output()}`,
      );
    const response = await fetch(url).catch(() => undefined);
    if (response?.ok) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export async function waitUntil(
  check,
  { timeoutMs = 120_000, intervalMs = 50, what = 'a condition' } = {},
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stops every child this scenario started (used in `finally` and on a crash). */
export async function stopAll() {
  await Promise.all([...children].map((child) => child.stop('SIGTERM')));
}

/**
 * One autocannon run. `rate` (requests per second over all connections) makes it a
 * fixed-rate run, the way latency is measured; without it the connections run closed-loop
 * (as fast as answers come), the way throughput is measured. `exactLatency`: also keep every
 * 2xx answer's latency as autocannon timed it (`process.hrtime`, fractions of a ms) in
 * `result.latencyValues`; its own histogram stores whole milliseconds (a 0.9 ms answer
 * reads 0).
 */
export function cannon({
  url,
  body,
  headers = {},
  connections = 50,
  seconds = duration,
  rate,
  amount,
  method = 'POST',
  requests,
  exactLatency = false,
}) {
  const latencyValues = [];
  return new Promise((resolve, reject) => {
    const options = {
      url,
      method,
      body,
      headers: { 'content-type': 'application/json', ...headers },
      connections,
      ...(amount ? { amount } : { duration: seconds }),
      ...(rate ? { overallRate: rate } : {}),
      ...(requests ? { requests } : {}),
      timeout: 30,
    };
    const instance = autocannon(options, (error, result) =>
      error ? reject(error) : resolve(exactLatency ? { ...result, latencyValues } : result),
    );
    if (exactLatency) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) latencyValues.push(responseTime);
      });
    }
  });
}

/** The figures of an autocannon result a scenario reports. */
export function summarize(result) {
  const seconds = result.duration || 1;
  return {
    requests_per_second: Math.round(result.requests.total / seconds),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    ok: result['2xx'],
    errors: result.errors + result.non2xx + result.timeouts,
    ...(result.latencyValues
      ? { p50_exact_ms: round(percentile(result.latencyValues, 50), 3) }
      : {}),
  };
}

/**
 * A warm-up run (`warmupSeconds`, default {@link warmup}) then a measured one, same options.
 * With `processes` (objects with a `pid`
 * and a `name`), also the CPU ms each spent per answered request during the measured run:
 * a figure that other load on the machine disturbs far less than req/s.
 */
export async function measure({ processes = [], warmupSeconds = warmup, ...options }) {
  await cannon({ ...options, seconds: warmupSeconds, amount: undefined, exactLatency: false });
  const before = processes.map((item) => cpuMsOf(item.pid));
  const result = summarize(await cannon(options));
  if (processes.length === 0) return result;
  const perRequest = processes.map((item, index) => [
    item.name,
    round((cpuMsOf(item.pid) - before[index]) / Math.max(1, result.ok), 3),
  ]);
  return {
    ...result,
    cpu_ms_per_request: round(
      perRequest.reduce((sum, [, value]) => sum + value, 0),
      3,
    ),
    cpu_ms_by_process: Object.fromEntries(perRequest),
  };
}

/** Formats `cpu_ms_by_process` for a row's notes. */
export function cpuNotes(result) {
  return Object.entries(result.cpu_ms_by_process ?? {})
    .map(([name, value]) => `${name} ${value}`)
    .join(', ');
}

/** Peak (VmHWM) and current (VmRSS) resident memory of a process, MB, from /proc. */
export function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { peakMb: Math.round(field('VmHWM')), currentMb: Math.round(field('VmRSS')) };
}

/** CPU time (user + system) a process has used so far, ms, from /proc (clock ticks of 10 ms). */
export function cpuMsOf(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * CPU time the whole machine has spent busy so far (user, nice, system, irq, softirq and steal
 * over every CPU), ms, from /proc/stat. Less the scenario's own processes over an interval, it
 * is what other work on a shared machine took in that interval.
 */
export function machineBusyMs() {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].split(/\s+/).slice(1);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return (user + nice + system + irq + softirq + steal) * 10;
}

/** Percentile of a sorted-or-not number array (nearest rank). */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const round = (value, digits = 2) => Number(Number(value).toFixed(digits));

/**
 * A result row; `ratio` is measured / baseline when both are numbers and no ratio is given,
 * none when `ratio` is `null` (a difference, not a ratio, is the figure).
 */
export function row({ metric, baseline, measured, ratio, target, met, notes }) {
  const computed =
    ratio === null
      ? undefined
      : (ratio ??
        (typeof baseline === 'number' && typeof measured === 'number' && baseline !== 0
          ? round(measured / baseline)
          : undefined));
  return {
    metric,
    ...(baseline !== undefined ? { baseline } : {}),
    measured,
    ...(computed !== undefined ? { ratio: computed } : {}),
    target,
    met: Boolean(met),
    ...(notes ? { notes } : {}),
  };
}

/** Markdown table of a scenario's rows. */
export function table(rows) {
  const cell = (value) => (value === undefined ? '' : String(value).replaceAll('|', '\\|'));
  const lines = [
    '| metric | baseline | measured | ratio | target | met | notes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const item of rows) {
    lines.push(
      `| ${cell(item.metric)} | ${cell(item.baseline)} | ${cell(item.measured)} | ${cell(item.ratio === undefined ? undefined : `${item.ratio}×`)} | ${cell(item.target)} | ${item.met ? 'yes' : '**no**'} | ${cell(item.notes)} |`,
    );
  }
  return lines.join('\n');
}

/** The machine and how busy it was: figures from a shared machine are read as ratios. */
export function machine() {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    load_average_1m: round(os.loadavg()[0], 1),
    quick,
  };
}

/**
 * Writes bench/results/<scenario>.json ({scenario, rows, ...}) and prints the table.
 * `details` holds the raw figures behind the rows.
 */
export function writeScenario(scenario, rows, details = {}, loadBefore = os.loadavg()[0]) {
  const report = {
    scenario,
    measured_at: new Date().toISOString(),
    machine: { ...machine(), load_average_1m_before: round(loadBefore, 1) },
    rows,
    details,
  };
  fs.mkdirSync(resultsDirectory, { recursive: true });
  fs.writeFileSync(
    path.join(resultsDirectory, `${scenario}.json`),
    `${JSON.stringify(report, null, 2)}\n`,
  );
  process.stdout.write(
    `\n## ${scenario}\n\n${table(rows)}\n\n(1-minute load average ${round(loadBefore, 1)} → ${round(os.loadavg()[0], 1)} on ${os.cpus().length} CPUs${quick ? ', quick mode' : ''})\n`,
  );
  return report;
}

/**
 * Runs a scenario's body with cleanup: every child stopped, Redis stopped, exit code 1 and
 * the children's output shown on failure.
 */
export async function runScenario(name, body) {
  let redis;
  try {
    redis = await startRedis();
    await body(redis);
  } catch (error) {
    process.stderr.write(`${name} failed: ${error instanceof Error ? error.stack : error}\n`);
    for (const child of children) {
      process.stderr.write(`--- ${child.name} output ---\n${child.output().slice(-4000)}\n`);
    }
    process.exitCode = 1;
  } finally {
    await stopAll();
    await redis?.stop();
    // A connection still retrying after a failure must not keep the scenario alive.
    setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
  }
}
