import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repositoryRoot, testEnv } from '@llmq/testing';
import type { Redis } from 'ioredis';

/**
 * What a chaos scenario counts about the jobs it submitted. `lost` is a 202 whose job is gone or
 * never reached a final state; `completedTwice` a job whose result was written more than once;
 * `failedUnclear` a failed job whose error carries no code.
 */
export interface ChaosCounts {
  accepted: number;
  completed: number;
  failed: number;
  /** Failed jobs per error code. */
  failedCodes: Record<string, number>;
  failedUnclear: number;
  lost: number;
  completedTwice: number;
}

/** Reads every job's final state in one pipeline per 500 jobs and counts the outcomes. */
export async function tallyJobs(redis: Redis, prefix: string, ids: string[]): Promise<ChaosCounts> {
  const counts: ChaosCounts = {
    accepted: ids.length,
    completed: 0,
    failed: 0,
    failedCodes: {},
    failedUnclear: 0,
    lost: 0,
    completedTwice: 0,
  };
  for (let start = 0; start < ids.length; start += 500) {
    const pipeline = redis.pipeline();
    for (const id of ids.slice(start, start + 500))
      pipeline.hmget(`${prefix}:job:${id}`, 'status', 'result_writes', 'error');
    for (const [, reply] of (await pipeline.exec()) ?? []) {
      const [status, writes, error] = (reply ?? []) as Array<string | null>;
      if (Number(writes ?? 0) > 1) counts.completedTwice += 1;
      if (status === 'completed') counts.completed += 1;
      else if (status === 'failed') {
        counts.failed += 1;
        const code = errorCode(error ?? null);
        if (code) counts.failedCodes[code] = (counts.failedCodes[code] ?? 0) + 1;
        else counts.failedUnclear += 1;
      } else counts.lost += 1;
    }
  }
  return counts;
}

function errorCode(error: string | null): string | undefined {
  if (!error) return undefined;
  try {
    const parsed = JSON.parse(error) as { code?: unknown };
    return typeof parsed.code === 'string' && parsed.code !== '' ? parsed.code : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until every job is final (or the time runs out) and returns the tally either way. */
export async function drainAndTally(
  redis: Redis,
  prefix: string,
  ids: string[],
  timeoutMs: number,
): Promise<ChaosCounts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await tallyJobs(redis, prefix, ids).catch(() => undefined);
    if (counts && (counts.lost === 0 || Date.now() > deadline)) return counts;
    if (Date.now() > deadline) return tallyJobs(redis, prefix, ids);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** One scenario's outcome as `npm run chaos` records it. */
export interface ScenarioOutcome {
  scenario: string;
  counts: ChaosCounts;
  /** Scenario-specific figures (webhook deliveries, 503s seen, memory slopes...). */
  details?: Record<string, unknown>;
  /** Checks that failed, in words; empty when the verdict is PASS. */
  problems: string[];
  /** Loss is measured, not forbidden (Redis with `appendfsync everysec`): left out of `worst`. */
  lossAllowed?: boolean;
}

/** Prints a one-line verdict with the counts, and records it when `CHAOS_REPORT` names a file. */
export function report(outcome: ScenarioOutcome): void {
  const { counts } = outcome;
  const verdict = outcome.problems.length === 0 ? 'PASS' : 'FAIL';
  const line = [
    `[chaos] ${outcome.scenario}: ${verdict}`,
    `accepted=${counts.accepted} completed=${counts.completed} failed=${counts.failed}`,
    `(${Object.entries(counts.failedCodes)
      .map(([code, n]) => `${code}:${n}`)
      .join(' ')})`,
    `unclear=${counts.failedUnclear} lost=${counts.lost} twice=${counts.completedTwice}`,
    outcome.details ? JSON.stringify(outcome.details) : '',
    outcome.problems.length > 0 ? `problems: ${outcome.problems.join('; ')}` : '',
  ].join(' ');
  process.stdout.write(`${line}\n`);
  const file = testEnv().CHAOS_REPORT;
  if (file) recordOutcome(path.resolve(repositoryRoot, file), { ...outcome, verdict });
}

interface ChaosFile {
  generated_at: string;
  machine: string;
  scenarios: Record<string, ScenarioOutcome & { verdict: string; at: string; load1?: number }>;
  /** The worst counts over every scenario of the latest run. */
  worst: { lost: number; completedTwice: number; failedUnclear: number };
}

function recordOutcome(file: string, outcome: ScenarioOutcome & { verdict: string }): void {
  let current: ChaosFile | undefined;
  try {
    current = JSON.parse(fs.readFileSync(file, 'utf8')) as ChaosFile;
  } catch {
    current = undefined;
  }
  const scenarios = {
    ...current?.scenarios,
    [outcome.scenario]: {
      ...outcome,
      at: new Date().toISOString(),
      // The machine is shared: its load when the scenario ended says how to read the figures.
      load1: Number(os.loadavg()[0]?.toFixed(1)),
    },
  };
  const all = Object.values(scenarios).filter((entry) => !entry.lossAllowed);
  const next: ChaosFile = {
    generated_at: new Date().toISOString(),
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, shared`,
    scenarios,
    worst: {
      lost: Math.max(0, ...all.map((entry) => entry.counts.lost)),
      completedTwice: Math.max(0, ...all.map((entry) => entry.counts.completedTwice)),
      failedUnclear: Math.max(0, ...all.map((entry) => entry.counts.failedUnclear)),
    },
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(next, null, 2)}\n`);
}

/** `CHAOS_FULL=1` (set by `npm run chaos`) runs the long variants; CI runs the short ones. */
export const chaosFull = testEnv().CHAOS_FULL;
