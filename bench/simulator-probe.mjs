// The LLM simulator's own CPU per answered request, side by side for several built trees: each
// tree's simulator (0 ms) stays up, and every round drives each in turn at c connections for a
// few seconds (the order rotated each round) with the request llmq's worker sends for the
// async-e2e scenario's job (`sim-gpt-fast`, non-streamed chat completion, the worker's headers).
// CPU is every thread's run time from /proc/<pid>/task/*/schedstat. `--profile` starts each
// simulator with `--cpu-prof` (profiles in bench/results/profiles/).
//
//   node bench/simulator-probe.mjs [--rounds 8] [--seconds 3] [--c 50] [--warmup 3] [--profile 0]
//     TAG=TREE ...
//
// The first tag is the reference; give one tree twice (A=tree A2=tree) for an A/A control.
// Wrap it in `flock /work/bench.lock` on a shared machine.
import fs from 'node:fs';
import path from 'node:path';
import {
  benchDirectory,
  cannon,
  freePort,
  startProcess,
  stopAll,
  waitForHttp,
} from './lib/harness.mjs';
import { roundOrder, setNumberOption, threadCpuMs, treeArgument } from './lib/trees.mjs';

const options = { rounds: 8, seconds: 3, c: 50, warmup: 3, profile: 0 };
const trees = [];
const argv = process.argv.slice(2);
for (let index = 0; index < argv.length; index += 1) {
  if (argv[index].startsWith('--')) setNumberOption(options, argv[index], argv[++index]);
  else trees.push(treeArgument(argv[index]));
}

/** What llmq's worker sends the simulator for the async-e2e job (captured from a run). */
const body = JSON.stringify({
  model: 'sim-gpt-fast',
  messages: [{ role: 'user', content: 'Summarise the quick brown fox in one line.' }],
  max_completion_tokens: 32,
  stream: false,
});
const headers = {
  accept: 'application/json',
  authorization: 'Bearer simulator',
  'x-llmq-job-id': 'job_8ab3fee708894267935e638d66197d2e',
  'x-llmq-attempt': '1',
};

const geomean = (values) =>
  Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length);

try {
  for (const item of trees) {
    const port = await freePort();
    const nodeArguments = [];
    if (options.profile === 1) {
      const directory = path.join(benchDirectory, 'results', 'profiles');
      fs.mkdirSync(directory, { recursive: true });
      nodeArguments.push(
        '--cpu-prof',
        `--cpu-prof-dir=${directory}`,
        `--cpu-prof-name=simulator-${item.tag}-${Date.now()}.cpuprofile`,
      );
    }
    item.service = startProcess(
      path.join(item.tree, 'apps/llm-simulator/dist/main.js'),
      { SIMULATOR_PORT: String(port), SIMULATOR_HOST: '127.0.0.1' },
      { nodeArguments, name: `simulator-${item.tag}` },
    );
    item.url = `http://127.0.0.1:${port}/v1/chat/completions`;
    await waitForHttp(`http://127.0.0.1:${port}/_sim/health`, item.service);
    item.perRequest = [];
    item.rps = [];
  }
  for (const item of trees) {
    await cannon({ url: item.url, body, headers, connections: options.c, seconds: options.warmup });
  }
  for (let round = 0; round < options.rounds; round += 1) {
    for (const item of roundOrder(trees, round)) {
      const before = threadCpuMs(item.service.pid);
      const result = await cannon({
        url: item.url,
        body,
        headers,
        connections: options.c,
        seconds: options.seconds,
      });
      const cpu = threadCpuMs(item.service.pid) - before;
      if (result.non2xx + result.errors > 0)
        throw new Error(`${item.tag}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      item.perRequest.push((cpu * 1000) / result['2xx']);
      item.rps.push(result['2xx'] / options.seconds);
    }
    process.stdout.write(
      `round ${round + 1}: ${trees.map((item) => `${item.tag} ${item.perRequest.at(-1).toFixed(1)} µs`).join(', ')}\n`,
    );
  }
  const reference = trees[0];
  for (const item of trees) {
    const ratios = item.perRequest.map((value, index) => value / reference.perRequest[index]);
    const mean = item.perRequest.reduce((sum, v) => sum + v, 0) / item.perRequest.length;
    process.stdout.write(
      `${item.tag}: ${mean.toFixed(1)} µs CPU per request (rounds ${item.perRequest.map((v) => v.toFixed(0)).join(' ')}), ` +
        `over ${reference.tag} ${geomean(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}), ` +
        `req/s ${Math.round(item.rps.reduce((sum, v) => sum + v, 0) / item.rps.length)}\n`,
    );
  }
} finally {
  await stopAll();
}
