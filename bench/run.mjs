// `npm run bench`: runs every scenario script in bench/ (each `*.mjs` here except this runner,
// profile-summary.mjs and the side-by-side probes), one after the other, each in its own process with its own
// private Redis, then merges every bench/results/<scenario>.json into results/latest.json and
// results/latest.md. `node bench/run.mjs sync-endpoint cost` runs only those scenarios;
// `BENCH_RUNS=2` runs each scenario twice and shows every run's ratio (shared machines are
// noisy); `--merge` runs nothing and rebuilds latest.* from the result files on disk. A
// scenario that fails does not stop the others; the exit code says one failed.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchEnv, inheritedEnv } from './lib/bench-env.mjs';
import { benchDirectory, machine, resultsDirectory, table } from './lib/harness.mjs';

const notScenarios = new Set([
  'run.mjs',
  'profile-summary.mjs',
  'side-by-side.mjs',
  'side-by-side-sync.mjs',
]);
/** Run order: the cheap HTTP scenarios first, the long fills last; new scripts after these. */
const order = [
  'async-submit',
  'async-e2e',
  'pipeline-overhead',
  'sync-endpoint',
  'cache-hit',
  'batch-bench',
  'batch',
  'worker-memory',
  'cost',
  'cost-tiers',
  'growth',
  'hostile-input',
];

const available = fs
  .readdirSync(benchDirectory)
  .filter((file) => file.endsWith('.mjs') && !notScenarios.has(file) && !file.startsWith('_'))
  .map((file) => file.replace(/\.mjs$/, ''))
  .sort((a, b) => {
    const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
// `--merge`: run nothing, only rebuild latest.* from the result files on disk.
const mergeOnly = process.argv.includes('--merge');
const wanted = process.argv.slice(2).filter((argument) => argument !== '--merge');
const unknown = wanted.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario(s): ${unknown.join(', ')}; known: ${available.join(', ')}\n`,
  );
  process.exit(2);
}
const scenarios = mergeOnly ? [] : wanted.length > 0 ? wanted : available;
const runs = benchEnv.BENCH_RUNS ?? 1;
const startedAt = new Date().toISOString();
const failed = [];
/** Every run's report of a scenario, by the scenario name each report carries. */
const reports = new Map();

function readReport(file) {
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    return typeof report.scenario === 'string' && Array.isArray(report.rows) ? report : undefined;
  } catch {
    return undefined;
  }
}

for (let run = 1; run <= runs; run += 1) {
  for (const scenario of scenarios) {
    process.stdout.write(`\n=== ${scenario}${runs > 1 ? ` (run ${run} of ${runs})` : ''} ===\n`);
    fs.mkdirSync(resultsDirectory, { recursive: true });
    const before = new Set(fs.readdirSync(resultsDirectory));
    const started = Date.now();
    const result = spawnSync(process.execPath, [path.join(benchDirectory, `${scenario}.mjs`)], {
      stdio: 'inherit',
      env: inheritedEnv(),
    });
    if (result.status !== 0) failed.push(`${scenario}${runs > 1 ? ` (run ${run})` : ''}`);
    // A scenario writes one or more results/<name>.json; collect those written by this run.
    for (const file of fs.readdirSync(resultsDirectory)) {
      if (!file.endsWith('.json')) continue;
      const full = path.join(resultsDirectory, file);
      if (fs.statSync(full).mtimeMs < started && before.has(file)) continue;
      const report = readReport(full);
      if (!report) continue;
      const list = reports.get(report.scenario) ?? [];
      list.push(report);
      reports.set(report.scenario, list);
    }
  }
}

// Merge: this run's reports, plus every other scenario result on disk (marked stale), except
// the chaos suite's file, which `npm run chaos` owns.
const merged = [];
fs.mkdirSync(resultsDirectory, { recursive: true });
for (const file of fs.readdirSync(resultsDirectory).sort()) {
  if (!file.endsWith('.json') || file === 'latest.json' || file === 'chaos.json') continue;
  const report = readReport(path.join(resultsDirectory, file));
  if (!report || reports.has(report.scenario)) continue;
  merged.push(mergeOnly ? report : { ...report, stale: true });
}
for (const [, list] of reports) {
  const last = list[list.length - 1];
  merged.push({
    ...last,
    rows: last.rows.map((item, index) => ({
      ...item,
      ...(list.length > 1
        ? {
            runs: list.map((report) => ({
              measured: report.rows[index]?.measured,
              ratio: report.rows[index]?.ratio,
              met: report.rows[index]?.met,
            })),
          }
        : {}),
    })),
  });
}
merged.sort((a, b) => {
  const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
  return rank(a.scenario) - rank(b.scenario) || a.scenario.localeCompare(b.scenario);
});

const latest = {
  started_at: startedAt,
  finished_at: new Date().toISOString(),
  machine: {
    ...machine(),
    note: 'everything on one machine over loopback; figures are ratios to baselines measured in the same run',
  },
  runs,
  failed,
  scenarios: merged,
};
fs.writeFileSync(
  path.join(resultsDirectory, 'latest.json'),
  `${JSON.stringify(latest, null, 2)}\n`,
);

const sections = merged.map((report) => {
  const rows = report.rows.map((item) =>
    item.runs
      ? {
          ...item,
          notes: `${item.notes ? `${item.notes}; ` : ''}every run: ${item.runs.map((entry) => (entry.ratio !== undefined ? `${entry.ratio}×` : entry.measured)).join(', ')}`,
        }
      : item,
  );
  const when = `measured ${report.measured_at}, 1-minute load average ${report.machine?.load_average_1m_before ?? '?'}${report.machine?.quick ? ', quick mode' : ''}${report.stale ? ' (from an earlier run: not run this time)' : ''}`;
  return `## ${report.scenario}\n\n${when}\n\n${table(rows)}\n`;
});
const markdown = `# Benchmark results\n\n${mergeOnly ? 'Merged' : 'Run'} ${startedAt} on ${os.cpus().length} CPUs (${machine().cpu_model}), Node ${process.version}, everything on one machine over loopback, shared with other work: read the ratios to the same-run baselines, not the absolute figures. Reproduce with \`npm run bench\`.${failed.length > 0 ? `\n\nFailed: ${failed.join(', ')}.` : ''}\n\n${sections.join('\n')}`;
fs.writeFileSync(path.join(resultsDirectory, 'latest.md'), markdown);
process.stdout.write(`\n${markdown}\n`);
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
