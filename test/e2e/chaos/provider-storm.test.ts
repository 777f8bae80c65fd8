import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repositoryRoot } from '@llmq/testing';
import { parse, stringify } from 'yaml';
import { startSystem } from '../system-harness';
import { chaosFull, drainAndTally, report } from './chaos-ledger';
import { pacedSubmit } from './chaos-load';

/**
 * Chaos scenario 3 (`npm run chaos` only): a provider storm on every simulated model of the
 * fallback chain (30% 500s, 10% 429s with retry-after, 5% hangs, 5% cut answers). Every job
 * completes or fails with a clear code, and no model ever sees more requests in a window than
 * its configured RPM allows.
 * The storm models carry `rate_limits` (packages/core/src/catalog/rate-limits.ts) in a copy of the catalog;
 * the simulator's log of every call it received is the judge of the RPM.
 */
const maybe = chaosFull ? it : it.skip;
const stormModels = ['sim-gpt-fast', 'sim-claude-fast', 'sim-local-llama'];
const rpm = 1200;
const windowMs = 2000;
const jobCount = 600;

/** The repository catalog with `rate_limits` on the storm models, in a temp file. */
function writeCatalog(): string {
  const file = parse(fs.readFileSync(path.join(repositoryRoot, 'config/models.yaml'), 'utf8')) as {
    models: Array<Record<string, unknown>>;
  };
  for (const model of file.models) {
    if (stormModels.includes(String(model.id))) model.rate_limits = { rpm, window_ms: windowMs };
  }
  const target = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'llmq-storm-')), 'models.yaml');
  fs.writeFileSync(target, stringify(file));
  return target;
}

/** The most calls any model got within one sliding window of `windowMs`. */
function busiestWindow(calls: Array<{ at: number; model: string }>): Record<string, number> {
  const busiest: Record<string, number> = {};
  for (const model of stormModels) {
    const times = calls
      .filter((call) => call.model === model)
      .map((call) => call.at)
      .sort((a, b) => a - b);
    let start = 0;
    let most = 0;
    for (let end = 0; end < times.length; end += 1) {
      while ((times[end] ?? 0) - (times[start] ?? 0) >= windowMs) start += 1;
      most = Math.max(most, end - start + 1);
    }
    busiest[model] = most;
  }
  return busiest;
}

maybe(
  'completes or fails every job with a clear code through a provider storm, within the RPM',
  async () => {
    const catalogPath = writeCatalog();
    const storm = {
      latencyMs: 50,
      faults: { status500: 0.3, status429: 0.1, hang: 0.05, cutStream: 0.05, retryAfterSeconds: 1 },
    };
    const system = await startSystem({
      workers: 2,
      env: { MODEL_CATALOG_PATH: catalogPath, JOB_ATTEMPTS: '3', PROVIDER_TIMEOUT_MS: '2000' },
      workerEnv: {
        WORKER_CONCURRENCY: '50',
        RETRY_BASE_DELAY_MS: '50',
        RETRY_MAX_DELAY_MS: '1000',
        CIRCUIT_COOLDOWN_MS: '2000',
      },
      simulatorModels: Object.fromEntries(stormModels.map((model) => [model, storm])),
    });
    try {
      const submitted = await pacedSubmit({
        apiUrl: system.apiUrl,
        rate: 20,
        count: jobCount,
        body: (index) => ({
          model: 'sim-gpt-fast',
          prompt: `storm ${index}`,
          max_tokens: 16,
          // A quarter stream their tokens, so cut streams hit streamed calls too.
          ...(index % 4 === 0 ? { stream: true } : {}),
        }),
      });
      const counts = await drainAndTally(system.redis, system.prefix, submitted.accepted, 300_000);
      const counters = system.simulator.counters();
      const calls = counters.recent.filter((call) => stormModels.includes(call.model));
      const busiest = busiestWindow(calls);
      const allowed = Math.max(1, Math.floor((rpm * windowMs) / 60_000));
      const overLimit = Object.entries(busiest).filter(([, most]) => most > allowed);
      const problems: string[] = [];
      if (counts.lost > 0) problems.push(`${counts.lost} lost`);
      if (counts.failedUnclear > 0) problems.push(`${counts.failedUnclear} failed without a code`);
      if (counts.completedTwice > 0) problems.push(`${counts.completedTwice} written twice`);
      if (overLimit.length > 0)
        problems.push(`over the RPM: ${overLimit.map(([model, most]) => `${model} ${most}`)}`);
      report({
        scenario: '3-provider-storm',
        counts,
        details: {
          upstreamCalls: calls.length,
          faults: counters.faults,
          byStatus: counters.byStatus,
          rpmCheck: { rpm, windowMs, allowedPerWindow: allowed, busiestWindow: busiest },
        },
        problems,
      });
      expect(problems).toEqual([]);
    } finally {
      await system.stop();
    }
  },
  600_000,
);
