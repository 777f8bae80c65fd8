#!/usr/bin/env node
// `npm start`: one command from a fresh clone to a running llmq. Finds or starts Redis, builds,
// runs the simulator, API and worker with prefixed output, proves them with a demo job, then
// keeps running until Ctrl-C. `npm start -- --help` lists the flags.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { describeResult, runDemoJob } from './lib/demo-job.mjs';
import { ensureRedis, RedisUnavailableError, redactUrl } from './lib/ensure-redis.mjs';
import { waitForHttpOk } from './lib/http-checks.mjs';
import { isPortOpen } from './lib/local-redis.js';
import { prefixFor, startService } from './lib/services.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REDIS_DATA_DIR = path.join(ROOT, '.llmq', 'redis');
/** How long the simulator and the API get to answer their health checks. */
const READY_TIMEOUT_MS = 30_000;
/** How long the demo job may take end to end (the simulator answers in well under a second). */
const DEMO_TIMEOUT_MS = 60_000;
/** Grace period between SIGTERM and SIGKILL for each stop phase. */
const STOP_TIMEOUT_MS = 10_000;
const DEV_TENANT = 'dev';
const DEV_KEY = 'llmq-dev-key';
const DEMO_MODEL = 'sim-gpt-fast';

const USAGE = `Usage: npm start [-- <flags>]

  --no-build    skip "npm run build" and start the last build
  --demo-only   run the demo job, then stop everything: exit 0 if it completed, 1 if not
  --no-demo     start the services without submitting the demo job
  -h, --help    show this text

Environment: REDIS_URL, PORT (API, 3000), SIMULATOR_PORT (4010), SIMULATOR_HOST (127.0.0.1).
Every other variable passes through to the apps (see docs/configuration.md).`;

const SERVICES = [
  { name: 'sim', script: 'apps/llm-simulator/dist/main.js', title: 'simulator' },
  { name: 'api', script: 'apps/api/dist/main.js', title: 'API' },
  {
    name: 'worker',
    script: 'apps/worker/dist/main.js',
    title: 'worker',
    // No heap cap: the worker sets its own GC settings (apps/worker/src/heap-tuning.ts) and
    // drains a backlog at concurrency 100 under 200 MB without one (docs/performance.md); the
    // young generation's size can only be given on node's command line (node-arguments.ts).
    nodeArgumentsFrom: 'apps/worker/dist/node-arguments.js',
  },
];

const state = {
  stopping: false,
  stoppingSince: 0,
  /** @type {import('node:child_process').ChildProcess | null} */
  build: null,
  /** @type {Promise<Awaited<ReturnType<typeof ensureRedis>> | null> | null} */
  redis: null,
  /** @type {ReturnType<typeof startService>[]} */
  services: [],
};

// The one place this script reads the environment (the apps parse their own in env.ts).
const { env } = process;

const log = (line) => process.stdout.write(`${prefixFor('llmq')}${line}\n`);
const warn = (line) => process.stderr.write(`${prefixFor('llmq')}${line}\n`);

function parseFlags() {
  try {
    const { values } = parseArgs({
      options: {
        'no-build': { type: 'boolean', default: false },
        'demo-only': { type: 'boolean', default: false },
        'no-demo': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values['demo-only'] && values['no-demo'])
      throw new Error('--demo-only and --no-demo exclude each other');
    return values;
  } catch (error) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
}

/** The service ports and URLs, from the environment with the apps' defaults. */
function endpoints(env) {
  const apiPort = Number(env.PORT || 3000);
  const simulatorPort = Number(env.SIMULATOR_PORT || 4010);
  const simulatorHost = env.SIMULATOR_HOST || '127.0.0.1';
  // A wildcard bind address is not something to connect to.
  const connectHost = ['0.0.0.0', '::', '[::]'].includes(simulatorHost)
    ? '127.0.0.1'
    : simulatorHost;
  const hostInUrl =
    connectHost.includes(':') && !connectHost.startsWith('[') ? `[${connectHost}]` : connectHost;
  const simulatorBase = `http://${hostInUrl}:${simulatorPort}`;
  return {
    apiPort,
    simulatorPort,
    simulatorHost,
    simulatorConnectHost: connectHost,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    simulatorBase,
    simulatorUrl: env.SIMULATOR_URL || simulatorBase,
  };
}

/** The key the demo job and the printed curl examples use: the first of API_KEYS, else the dev key. */
function demoCredentials(env) {
  const first = (env.API_KEYS || '').split(',')[0]?.trim();
  if (!first) return { tenant: DEV_TENANT, key: DEV_KEY, fromApiKeys: false };
  const separator = first.indexOf(':');
  return { tenant: first.slice(0, separator), key: first.slice(separator + 1), fromApiKeys: true };
}

function runBuild() {
  // Run npm through the same npm that ran `npm start` when there is one.
  const npmCli = env.npm_execpath;
  const [command, args] = npmCli?.endsWith('.js')
    ? [process.execPath, [npmCli, 'run', 'build']]
    : ['npm', ['run', 'build']];
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    state.build = child;
    child.once('error', (error) => {
      warn(`could not run npm run build: ${error.message}`);
      resolve(1);
    });
    child.once('close', (code) => {
      state.build = null;
      resolve(code ?? 1);
    });
  });
}

function printLastLines(service, count = 20) {
  const lines = service.lastLines().slice(-count);
  if (lines.length === 0) {
    warn(`(${service.name} printed nothing)`);
    return;
  }
  warn(`last ${lines.length} lines from [${service.name}]:`);
  for (const line of lines) process.stderr.write(`    ${line}\n`);
}

async function shutdown(exitCode) {
  if (state.stopping) return;
  state.stopping = true;
  state.stoppingSince = Date.now();
  state.build?.kill('SIGTERM');
  // The API and the worker first: the worker may finish in-flight jobs against the simulator
  // and Redis, so those two go after it.
  const phases = [
    state.services.filter((service) => service.name !== 'sim'),
    state.services.filter((service) => service.name === 'sim'),
  ];
  const running = phases.flat().filter((service) => service.isRunning());
  if (running.length > 0) log(`stopping ${running.map((service) => service.name).join(', ')}`);
  for (const phase of phases) {
    await Promise.all(phase.map((service) => service.stop(STOP_TIMEOUT_MS)));
  }
  const redis = await state.redis?.catch(() => null);
  if (redis?.startedHere) {
    log('stopping the redis-server started by npm start');
    await redis.stop();
  }
  log(exitCode === 0 ? 'stopped' : `stopped (exit ${exitCode})`);
  process.exit(exitCode);
}

function onSignal(signal) {
  if (!state.stopping) {
    log(`${signal} received; stopping (Ctrl-C again to force)`);
    shutdown(0);
    return;
  }
  // npm forwards the terminal's SIGINT to us, so one Ctrl-C arrives twice within a moment:
  // only a later signal means "force".
  if (Date.now() - state.stoppingSince < 1000) return;
  warn(`${signal} received again; killing everything now`);
  for (const service of state.services) service.kill();
  state.redis
    ?.catch(() => null)
    .then((redis) => redis?.stop(2000))
    .finally(() => process.exit(1));
}

function watchForCrash(service) {
  service.exited.then(({ code, signal }) => {
    if (state.stopping) return;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    warn(`${service.name} exited unexpectedly (${how}); stopping everything`);
    printLastLines(service);
    shutdown(code || 1);
  });
}

/** The node arguments a built app asks to be started with (its `workerNodeArguments`, say). */
async function nodeArgumentsOf(module) {
  const { workerNodeArguments } = await import(pathToFileURL(path.join(ROOT, module)).href);
  return [...workerNodeArguments];
}

async function waitUntilReady(service, url) {
  const result = await waitForHttpOk(url, {
    timeoutMs: READY_TIMEOUT_MS,
    shouldGiveUp: () => state.stopping || !service.isRunning(),
  });
  return { service, url, ...result };
}

function printBanner({ apiUrl, simulatorBase }, redis, credentials) {
  const key = credentials.fromApiKeys ? '<a key from API_KEYS>' : credentials.key;
  const redisNote = redis.startedHere
    ? `started by npm start, data in ${path.relative(ROOT, REDIS_DATA_DIR)}/`
    : 'already running';
  const body = JSON.stringify({
    model: DEMO_MODEL,
    messages: [{ role: 'user', content: 'Hello' }],
  });
  const lines = [
    '',
    'llmq is running',
    `  API        ${apiUrl}   (GET /healthz, GET /readyz)`,
    `  reference  ${apiUrl}/docs   (the API reference, for a browser)`,
    `  simulator  ${simulatorBase}   (OpenAI-compatible at /v1)`,
    `  metrics    ${apiUrl}/metrics, worker http://127.0.0.1:${process.env.WORKER_METRICS_PORT || 9464}/metrics`,
    `  Redis      ${redactUrl(redis.url)}   (${redisNote})`,
    credentials.fromApiKeys
      ? `  API key    from API_KEYS (tenant ${credentials.tenant})`
      : `  dev key    ${DEV_KEY}   (tenant ${DEV_TENANT}; set API_KEYS to use your own)`,
    '',
    'Submit a job, then poll it with the id from the answer:',
    `  curl -s -X POST ${apiUrl}/v1/jobs -H 'Authorization: Bearer ${key}' \\`,
    `    -H 'Content-Type: application/json' -d '${body}'`,
    `  curl -s ${apiUrl}/v1/jobs/<id> -H 'Authorization: Bearer ${key}'`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
}

async function main() {
  const flags = parseFlags();
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // Every intended end goes through process.exit; if the event loop ever drains on its own,
  // something hung up silently and that must not look like success.
  process.exitCode = 1;
  const startedAt = Date.now();
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  // Last resort if this script itself crashes: never leave the apps running without it.
  process.on('exit', () => {
    for (const service of state.services) service.kill();
  });

  const urls = endpoints(env);
  for (const [variable, host, port] of [
    ['PORT', '127.0.0.1', urls.apiPort],
    ['SIMULATOR_PORT', urls.simulatorConnectHost, urls.simulatorPort],
  ]) {
    if (await isPortOpen(host, port)) {
      warn(
        `port ${port} is already in use (another npm start?). Stop that process or set ${variable}.`,
      );
      process.exit(1);
    }
  }

  state.redis = ensureRedis({ redisUrl: env.REDIS_URL, dataDir: REDIS_DATA_DIR, log });
  const redis = await state.redis;
  if (state.stopping) return;
  log(`Redis: ${redactUrl(redis.url)}${redis.startedHere ? ' (started here)' : ''}`);

  if (!flags['no-build']) {
    log('building: npm run build');
    const code = await runBuild();
    if (state.stopping) return;
    if (code !== 0) {
      warn(
        `npm run build failed (exit ${code}); fix the errors above, or start the last build with --no-build`,
      );
      return shutdown(1);
    }
  }
  const missing = SERVICES.filter((service) => !fs.existsSync(path.join(ROOT, service.script)));
  if (missing.length > 0) {
    const hint = flags['no-build']
      ? 'run npm run build (or drop --no-build)'
      : 'the build did not produce them';
    warn(`missing ${missing.map((service) => service.script).join(', ')}: ${hint}`);
    return shutdown(1);
  }

  const childEnv = {
    ...env,
    REDIS_URL: redis.url,
    PORT: String(urls.apiPort),
    SIMULATOR_PORT: String(urls.simulatorPort),
    SIMULATOR_HOST: urls.simulatorHost,
    SIMULATOR_URL: urls.simulatorUrl,
    // The demo runs the semantic cache on the simulator's embedding model (off unless set).
    SEMANTIC_CACHE_MODEL: env.SEMANTIC_CACHE_MODEL ?? 'simulator-openai/sim-embed-small',
  };
  for (const { name, script, nodeArgumentsFrom } of SERVICES) {
    const service = startService({
      name,
      script: path.join(ROOT, script),
      nodeArguments: nodeArgumentsFrom ? await nodeArgumentsOf(nodeArgumentsFrom) : [],
      env: childEnv,
      cwd: ROOT,
    });
    state.services.push(service);
    watchForCrash(service);
  }
  const byName = Object.fromEntries(state.services.map((service) => [service.name, service]));

  const checks = await Promise.all([
    waitUntilReady(byName.sim, `${urls.simulatorBase}/_sim/health`),
    waitUntilReady(byName.api, `${urls.apiUrl}/readyz`),
  ]);
  if (state.stopping) return;
  const notReady = checks.filter((check) => !check.ok);
  if (notReady.length > 0) {
    for (const check of notReady) {
      const title = SERVICES.find((service) => service.name === check.service.name).title;
      warn(
        `the ${title} did not come up within ${READY_TIMEOUT_MS / 1000} s: ${check.url} (last answer: ${check.lastProblem})`,
      );
      printLastLines(check.service);
    }
    return shutdown(1);
  }
  log(`simulator and API are ready (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);

  if (!flags['no-demo']) {
    const credentials = demoCredentials(env);
    const demo = await runDemoJob({
      apiUrl: urls.apiUrl,
      apiKey: credentials.key,
      model: DEMO_MODEL,
      timeoutMs: DEMO_TIMEOUT_MS,
      log,
    }).catch((error) => ({ ok: false, reason: `demo job: ${error.message}` }));
    if (state.stopping) return;
    if (demo.ok) {
      log('demo job completed');
      for (const line of describeResult(demo.job)) log(`  ${line}`);
    } else {
      warn(`demo job failed: ${demo.reason}`);
      printLastLines(byName.worker, 10);
    }
    if (flags['demo-only']) return shutdown(demo.ok ? 0 : 1);
  }

  printBanner(urls, redis, demoCredentials(env));
}

main().catch((error) => {
  warn(error instanceof RedisUnavailableError ? error.message : (error.stack ?? String(error)));
  shutdown(1);
});
