import type { ServiceTier } from '../catalog/service-tier';
import type { JobResult } from '../jobs/job-record';
import type { AttemptRecord } from '../resilience/attempt-record';
import { type NanoUsd, toNanoUsd } from './money';

/** What one unit of work adds to a tenant's ledger for one catalog model. */
export interface LedgerLine {
  model: string;
  /** The tier the work ran on; absent: `standard`. */
  tier?: ServiceTier;
  /** Billed spend, nano-dollars. */
  costNanoUsd: NanoUsd;
  /** Billed input tokens, cached ones included. */
  inputTokens: number;
  /** The part of `inputTokens` read from the provider's prompt cache. */
  cachedInputTokens: number;
  outputTokens: number;
  /** Billed provider calls (hedge losers and failed-but-billed calls included). */
  calls: number;
  /** Answers served from llmq's own cache instead of a provider call. */
  cacheHits: number;
  /** What those cache hits would have cost, nano-dollars. */
  savedNanoUsd: NanoUsd;
  /** Tokens (input plus output) those cache hits did not spend. */
  savedTokens: number;
}

function emptyLine(model: string, tier?: ServiceTier): LedgerLine {
  return {
    model,
    ...(tier !== undefined && tier !== 'standard' ? { tier } : {}),
    costNanoUsd: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    calls: 0,
    cacheHits: 0,
    savedNanoUsd: 0,
    savedTokens: 0,
  };
}

/**
 * The ledger lines of a job's provider calls, one per catalog model and tier. Every call that billed
 * something counts: the winner, a hedge loser (its real usage, or its prompt when aborted), a
 * call that answered but whose job then failed (an output the filter blocked). Calls that
 * billed nothing (errors, skipped models) add nothing.
 */
export function ledgerLinesFromAttempts(attempts: readonly AttemptRecord[]): LedgerLine[] {
  const byModel = new Map<string, LedgerLine>();
  for (const attempt of attempts) {
    if (attempt.cost_usd <= 0 && attempt.usage === undefined) continue;
    const key = `${attempt.model}|${attempt.service_tier ?? 'standard'}`;
    const line = byModel.get(key) ?? emptyLine(attempt.model, attempt.service_tier);
    line.costNanoUsd += toNanoUsd(attempt.cost_usd);
    line.inputTokens += attempt.usage?.input_tokens ?? 0;
    line.cachedInputTokens += attempt.usage?.cached_input_tokens ?? 0;
    line.outputTokens += attempt.usage?.output_tokens ?? 0;
    line.calls += 1;
    byModel.set(key, line);
  }
  return [...byModel.values()];
}

/** The ledger line of an answer served from llmq's cache: free, with what it saved. */
export function ledgerLineFromCacheHit(model: string, hit: JobResult): LedgerLine {
  return {
    ...emptyLine(model),
    cacheHits: 1,
    savedNanoUsd: toNanoUsd(hit.saved_cost_usd ?? hit.cost_usd ?? 0),
    savedTokens: hit.usage.input_tokens + hit.usage.output_tokens,
  };
}

/** Each amount of a line and the usage-hash field kind it is recorded under. */
const amountKinds: ReadonlyArray<[kind: string, amount: (line: LedgerLine) => number]> = [
  ['cost', (line) => line.costNanoUsd],
  ['input', (line) => line.inputTokens],
  ['cached_input', (line) => line.cachedInputTokens],
  ['output', (line) => line.outputTokens],
  ['calls', (line) => line.calls],
  ['cache_hits', (line) => line.cacheHits],
  ['saved_cost', (line) => line.savedNanoUsd],
  ['saved_tokens', (line) => line.savedTokens],
];

/** Each amount kind's quoted usage-hash field names, per field prefix (see {@link ledgerFieldsJson}). */
const quotedFieldNames = new Map<string, readonly string[]>();
/** Past this many prefixes (catalog models × tiers), the names are quoted afresh instead. */
const quotedFieldNamesLimit = 1000;

function quotedFieldNamesOf(prefix: string): readonly string[] {
  let names = quotedFieldNames.get(prefix);
  if (names !== undefined) return names;
  names = amountKinds.map(([kind]) => JSON.stringify(`${prefix}|${kind}`));
  if (quotedFieldNames.size < quotedFieldNamesLimit) quotedFieldNames.set(prefix, names);
  return names;
}

/**
 * The usage-hash fields of a line and their increments as the items of a JSON array of strings
 * (`"<field>","<amount>",…`, no brackets), alternating field and amount, zeros left out, as
 * `JSON.stringify` writes that list, written straight as text (every job makes one: the field
 * names are quoted once per model and tier, and an amount, an integer, needs no escaping). `<model>|<kind>` for standard work (as before tiers existed),
 * `<model>|<tier>|<kind>` for flex and batch work.
 */
export function ledgerFieldsJson(line: LedgerLine): string {
  const names = quotedFieldNamesOf(fieldPrefix(line));
  let json = '';
  for (let index = 0; index < amountKinds.length; index++) {
    const amount = amountKinds[index]![1](line);
    if (amount === 0) continue;
    json += `${json === '' ? '' : ','}${names[index]},"${amount}"`;
  }
  return json;
}

function fieldPrefix(line: LedgerLine): string {
  return line.tier === undefined || line.tier === 'standard'
    ? line.model
    : `${line.model}|${line.tier}`;
}
