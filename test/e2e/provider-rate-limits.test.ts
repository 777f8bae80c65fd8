import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repositoryRoot, testEnv, waitFor } from '@llmq/testing';
import OpenAI, { toFile } from 'openai';
import { batchLines } from './batch-helpers';
import { apiKey, startSystem } from './system-harness';

/**
 * Provider rate limits end to end: two worker processes share a model's RPM/TPM limits and a
 * 429's pause through Redis, checked against the simulator's own log of every call.
 *
 * The limits are per minute but enforced over a 2 s sliding window (the catalog's
 * `window_ms` and the simulator's `rateWindowMs` alike), so they bind within a short run:
 * 7,500 rpm and 180,000 tpm allow 250 requests and 6,000 tokens per 2 s. CI runs 2,000 jobs
 * (1,800 batch lines and 200 longer prompt jobs); env E2E_RATE_LIMIT_JOBS scales that up.
 */
const jobCount = testEnv().E2E_RATE_LIMIT_JOBS;
const promptJobs = Math.max(1, Math.round(jobCount / 10));
const batchLineCount = jobCount - promptJobs;
const windowMs = 2_000;
const rpm = 7_500;
const tpm = 180_000;
const perWindow = { requests: (rpm * windowMs) / 60_000, tokens: (tpm * windowMs) / 60_000 };
const stormRetryAfterSeconds = 3;

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;
let directory: string;

/** The shipped catalog plus two test models: one limited, one for the 429 storm. */
function writeCatalog(): string {
  const shipped = readFileSync(path.join(repositoryRoot, 'config/models.yaml'), 'utf8');
  const model = (id: string, extra: string) => `
  - id: ${id}
    provider: simulator-openai
    upstream_model: ${id}
    tier: fast
    context_window: 128000
    max_output_tokens: 4096
    pricing: { input: 0.15, output: 0.6, cached_input: 0.075 }
    expected_latency_ms: 100
    fallbacks: []${extra}
`;
  const file = path.join(directory, 'models.yaml');
  writeFileSync(
    file,
    `${shipped.trimEnd()}\n${model(
      'sim-limited',
      `\n    rate_limits: { rpm: ${rpm}, tpm: ${tpm}, window_ms: ${windowMs} }`,
    )}${model('sim-storm', '')}`,
  );
  return file;
}

beforeAll(async () => {
  directory = mkdtempSync(path.join(tmpdir(), 'llmq-rate-limits-'));
  system = await startSystem({
    workers: 2,
    env: { MODEL_CATALOG_PATH: writeCatalog(), JOB_ATTEMPTS: '3' },
    workerEnv: {
      LOG_LEVEL: 'info',
      WORKER_CONCURRENCY: '50',
      BULK_WORKER_CONCURRENCY: '50',
      RATE_LIMIT_WINDOW_MARGIN_MS: '100',
      // The machine is shared and loaded in CI: a call may reach the simulator seconds late.
      RATE_LIMIT_ARRIVAL_ALLOWANCE_MS: '30000',
    },
    simulatorModels: {
      'sim-limited': { rpm, tpm, rateWindowMs: windowMs },
      'sim-storm': { latencyMs: 20 },
    },
  });
}, 60_000);
afterAll(async () => {
  await system?.stop();
  rmSync(directory, { recursive: true, force: true });
});

async function submitPrompts(count: number, model: string, prompt: (index: number) => string) {
  const ids: string[] = [];
  for (let start = 0; start < count; start += 100) {
    const chunk = Array.from({ length: Math.min(100, count - start) }, (_, index) =>
      system.submit({ model, prompt: prompt(start + index), max_tokens: 16 }),
    );
    ids.push(...(await Promise.all(chunk)));
  }
  return ids;
}

async function waitForJobs(ids: string[], timeoutMs: number): Promise<string[]> {
  return waitFor(
    async () => {
      const pipeline = system.redis.pipeline();
      for (const id of ids) pipeline.hget(`${system.prefix}:job:${id}`, 'status');
      const values = ((await pipeline.exec()) ?? []).map(([, value]) => value as string | null);
      return values.every((value) => value === 'completed' || value === 'failed')
        ? values
        : undefined;
    },
    { timeoutMs, intervalMs: 250, what: `${ids.length} jobs to finish` },
  );
}

/** The most requests and tokens any sliding window saw, judged as the simulator judges. */
function busiestWindow(calls: Array<{ at: number; tokens?: number }>) {
  const sorted = [...calls].sort((a, b) => a.at - b.at);
  let first = 0;
  let tokens = 0;
  let requests = 0;
  let mostTokens = 0;
  sorted.forEach((call, index) => {
    tokens += call.tokens ?? 0;
    // The simulator drops a call from its window once `at <= now - window`.
    while ((sorted[first] as { at: number }).at <= call.at - windowMs) {
      tokens -= sorted[first]?.tokens ?? 0;
      first += 1;
    }
    requests = Math.max(requests, index - first + 1);
    mostTokens = Math.max(mostTokens, tokens);
  });
  return { requests, tokens: mostTokens };
}

/** When each call of these jobs started (`<job id>#<call number>` → epoch ms), from results. */
async function callStartTimes(ids: string[]): Promise<Map<string, number>> {
  const pipeline = system.redis.pipeline();
  for (const id of ids) pipeline.hget(`${system.prefix}:job:${id}`, 'result');
  const results = ((await pipeline.exec()) ?? []).map(
    ([, value]) => JSON.parse(value as string) as { attempts: Array<{ started_at: number }> },
  );
  const times = new Map<string, number>();
  results.forEach((result, index) => {
    result.attempts.forEach((attempt, call) => {
      times.set(`${ids[index]}#${call + 1}`, attempt.started_at);
    });
  });
  return times;
}

/** When the first worker paused the model, from its `rate-limit-pause` log line. */
function firstPauseAt(): number | undefined {
  const times = system.workers.flatMap((worker) =>
    worker
      .output()
      .split('\n')
      .filter((line) => line.includes('"event":"rate-limit-pause"'))
      .map((line) => Date.parse((JSON.parse(line) as { timestamp: string }).timestamp)),
  );
  return times.length > 0 ? Math.min(...times) : undefined;
}

it('a 429 storm with retry-after pauses the model for every worker, then work resumes', async () => {
  const model = 'sim-storm';
  // Warm both workers up first (clients, tokenizer), so the storm meets running processes.
  await waitForJobs(await submitPrompts(50, model, (index) => `warm-up ${index}`), 30_000);
  system.simulator.reset();
  system.simulator.configure({
    models: { [model]: { faults: { status429: 1, retryAfterSeconds: stormRetryAfterSeconds } } },
  });
  const submitting = submitPrompts(200, model, (index) => `storm job ${index}`);
  // The storm lasts until the first 429 has been answered; the pause must do the rest.
  const firstLimited = await waitFor(
    async () =>
      system.simulator
        .counters()
        .recent.find((call) => call.model === model && call.status === 429),
    { timeoutMs: 15_000, intervalMs: 10, what: 'a 429 from the storm' },
  );
  system.simulator.configure({ models: { [model]: { faults: { status429: 0 } } } });
  const ids = await submitting;
  const statuses = await waitForJobs(ids, 60_000);
  expect(statuses.filter((status) => status === 'completed')).toHaveLength(ids.length);

  const calls = system.simulator.counters().recent.filter((call) => call.model === model);
  const limitedAt = firstLimited.at;
  const retryAfterEnds = limitedAt + stormRetryAfterSeconds * 1000;
  const pausedAt = firstPauseAt();
  expect(pausedAt).toBeDefined();
  // The pause began well within the retry-after, so the check below covers most of it.
  expect(pausedAt as number).toBeLessThan(retryAfterEnds - 1000);
  // Calls admitted before the pause was set may still arrive after it (a loaded machine can
  // hold one back for a while; they get 429s too). Apart from those, nobody, from either
  // worker, calls until the retry-after has passed.
  const startedAt = await callStartTimes(ids);
  const duringPause = calls.filter(
    (call) => call.at >= (pausedAt as number) && call.at < retryAfterEnds - 50,
  );
  const admittedDuringPause = duringPause.filter(
    (call) =>
      (startedAt.get(`${call.headers['x-llmq-job-id']}#${call.headers['x-llmq-attempt']}`) ??
        Number.POSITIVE_INFINITY) >= (pausedAt as number),
  );
  expect(admittedDuringPause.map((call) => `${call.at - limitedAt} ms: ${call.status}`)).toEqual(
    [],
  );
  // Work did resume after the pause, and jobs were still waiting when it began.
  const after = calls.filter((call) => call.at >= retryAfterEnds - 50);
  expect(after.filter((call) => call.status === 200).length).toBeGreaterThan(50);
  // Both workers held jobs back for the pause (logged without prompt text).
  for (const worker of system.workers) {
    const output = worker.output();
    expect(output).toMatch(/"event":"rate-limit-wait"[^\n]*"reason":"retry_after"/);
    expect(output).not.toContain('storm job');
  }
}, 90_000);

it(`${jobCount} jobs from two workers never exceed the model's RPM and TPM, and all complete`, async () => {
  const model = 'sim-limited';
  const client = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
  const file = await client.files.create({
    file: await toFile(Buffer.from(batchLines(batchLineCount, { model })), 'limited.jsonl'),
    purpose: 'batch',
  });
  const created = await client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
  // Longer prompts, so the token limit binds as well as the request limit.
  const filler = 'the quick brown fox jumps over the lazy dog '.repeat(4);
  const ids = await submitPrompts(promptJobs, model, (index) => `${filler}${index}`);

  const statuses = await waitForJobs(ids, 150_000);
  expect(statuses.filter((status) => status === 'completed')).toHaveLength(ids.length);
  const batch = await waitFor(
    async () => {
      const current = await client.batches.retrieve(created.id);
      return ['completed', 'failed', 'cancelled', 'expired'].includes(current.status)
        ? current
        : undefined;
    },
    { timeoutMs: 150_000, intervalMs: 250, what: 'the batch to end' },
  );
  expect(batch.request_counts).toEqual({
    total: batchLineCount,
    completed: batchLineCount,
    failed: 0,
  });

  const counters = system.simulator.counters();
  const calls = counters.recent.filter((call) => call.model === model);
  // Every job made exactly one call, and the provider never had to refuse one.
  expect(calls.filter((call) => call.status === 429)).toEqual([]);
  expect(calls.filter((call) => call.status === 200)).toHaveLength(jobCount);
  const busiest = busiestWindow(calls);
  expect(busiest.requests).toBeLessThanOrEqual(perWindow.requests);
  expect(busiest.tokens).toBeLessThanOrEqual(perWindow.tokens);
  // The limits did bind: jobs waited for them, in both workers.
  for (const worker of system.workers) {
    expect(worker.output()).toMatch(/"event":"rate-limit-wait"[^\n]*"reason":"(rpm|tpm)"/);
    expect(worker.output()).not.toContain(filler);
  }
  const span =
    Math.max(...calls.map((call) => call.at)) - Math.min(...calls.map((call) => call.at));
  process.stdout.write(
    `rate limits: ${jobCount} calls over ${span} ms, busiest ${windowMs} ms window: ` +
      `${busiest.requests}/${perWindow.requests} requests, ${busiest.tokens}/${perWindow.tokens} tokens\n`,
  );
}, 180_000);
