import { waitFor } from '@llmq/testing';
import { readEvents } from './read-sse';
import { apiKey, startSystem } from './system-harness';
import { type Receiver, startReceiver } from './webhook-receiver';

// Speculative execution (#23) against real API and worker processes and the simulator. The
// strong model is held by simulator latency (never by sleeps in the test), so the initial
// answer is always there long before the upgrade.

type System = Awaited<ReturnType<typeof startSystem>>;

const strongLatencyMs = 2500;
let system: System;
let receiver: Receiver;

const speculative = { fast_model: 'sim-gpt-fast', upgrade_model: 'sim-gpt-strong' };

interface Result {
  text: string;
  model: string;
  stage?: string;
  upgrade_pending?: boolean;
  initial?: Result;
  upgrade_error?: { code: string; message: string };
  cost_usd: number;
  attempts: { model: string; outcome: string; cost_usd: number }[];
}

beforeAll(async () => {
  receiver = await startReceiver();
  system = await startSystem({
    env: { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
    simulatorModels: {
      'sim-gpt-fast': { latencyMs: 0 },
      'sim-gpt-strong': { latencyMs: strongLatencyMs },
    },
  });
});

afterAll(async () => {
  await system?.stop();
  await receiver?.close();
});

afterEach(() => system.simulator.reset());

async function job(jobId: string): Promise<{ status: string; result?: Result }> {
  const response = await system.request('GET', `/v1/jobs/${jobId}`);
  expect(response.status).toBe(200);
  return response.body;
}

/** Polls until the job shows its initial answer while still running. */
async function waitForInitial(jobId: string) {
  return waitFor(
    async () => {
      const body = await job(jobId);
      expect(body.result?.stage ?? 'initial').toBe('initial');
      return body.result?.stage === 'initial' ? body : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 25, what: `the initial answer of ${jobId}` },
  );
}

test('the fast answer is readable first, then the upgrade replaces it; events, webhooks and cost count both', async () => {
  const jobId = await system.submit({
    prompt: 'echo: speculate',
    speculative,
    fallbacks: false,
    webhook: { url: receiver.url, events: ['job.initial', 'job.upgraded', 'job.completed'] },
  });
  const events = readEvents(`${system.apiUrl}/v1/jobs/${jobId}/events`, {
    Authorization: `Bearer ${apiKey}`,
  });

  const initial = await waitForInitial(jobId);
  expect(initial.status).toBe('active');
  expect(initial.result).toMatchObject({
    model: 'sim-gpt-fast',
    stage: 'initial',
    upgrade_pending: true,
  });

  const done = await system.waitForJob(jobId);
  expect(done.status).toBe('completed');
  const result = done.result as Result;
  expect(result).toMatchObject({ model: 'sim-gpt-strong', stage: 'final', upgrade_pending: false });
  expect(result.initial).toMatchObject({ model: 'sim-gpt-fast', text: initial.result?.text });
  // Both calls are billed in the final result.
  expect(result.attempts.map((attempt) => attempt.model).sort()).toEqual([
    'sim-gpt-fast',
    'sim-gpt-strong',
  ]);
  const sum = result.attempts.reduce((total, attempt) => total + attempt.cost_usd, 0);
  expect(result.cost_usd).toBeCloseTo(sum, 9);
  expect(result.cost_usd).toBeGreaterThan(result.initial?.cost_usd ?? Number.POSITIVE_INFINITY);

  // The SSE stream saw both stages, in order, before the final status.
  const stream = await events;
  const names = stream.events.map((event) => event.event);
  const initialAt = names.indexOf('job.initial');
  const upgradedAt = names.indexOf('job.upgraded');
  expect(initialAt).toBeGreaterThanOrEqual(0);
  expect(upgradedAt).toBeGreaterThan(initialAt);
  expect(names.lastIndexOf('status')).toBeGreaterThan(upgradedAt);
  expect(JSON.parse(stream.events[initialAt]?.data ?? '{}')).toMatchObject({ stage: 'initial' });
  expect(JSON.parse(stream.events[upgradedAt]?.data ?? '{}')).toMatchObject({ stage: 'final' });

  // The webhook receiver saw job.initial, then job.upgraded (and job.completed), each with its
  // own webhook-id.
  const secret = (await system.request('GET', '/v1/webhook-secret')).body.secret as string;
  const messages = await waitFor(
    () => (receiver.received.length >= 3 ? receiver.received : undefined),
    { timeoutMs: 20_000, what: 'three webhooks' },
  );
  const types = messages.map((message) => receiver.verify(message, secret).type);
  expect(types.indexOf('job.initial')).toBeGreaterThanOrEqual(0);
  expect(types.indexOf('job.upgraded')).toBeGreaterThan(types.indexOf('job.initial'));
  expect(types).toContain('job.completed');
  const ids = messages.map((message) => message.headers['webhook-id']);
  expect(new Set(ids).size).toBe(3);

  // The ledger counts both calls, each at its model.
  const usage = await waitFor(
    async () => {
      const { body } = await system.request('GET', '/v1/usage?group_by=model');
      return body.totals.calls >= 2 ? body : undefined;
    },
    { timeoutMs: 10_000, what: 'the ledger to hold both calls' },
  );
  expect(usage.totals.calls).toBe(2);
  expect(usage.data.map((row: { model: string }) => row.model).sort()).toEqual([
    'sim-gpt-fast',
    'sim-gpt-strong',
  ]);
  expect(usage.totals.cost_nano_usd).toBe(Math.round(result.cost_usd * 1e9));
});

test('a failed upgrade leaves the initial answer and says why', async () => {
  system.simulator.configure({ models: { 'sim-gpt-strong': { faults: { status400: 1 } } } });
  const jobId = await system.submit({ prompt: 'echo: no upgrade', speculative, fallbacks: false });
  const done = await system.waitForJob(jobId);
  expect(done.status).toBe('completed');
  const result = done.result as Result;
  expect(result).toMatchObject({
    model: 'sim-gpt-fast',
    stage: 'initial',
    upgrade_pending: false,
    upgrade_error: { code: 'provider_bad_request' },
  });
  expect(result.initial).toBeUndefined();
  expect(result.attempts.find((attempt) => attempt.model === 'sim-gpt-strong')?.outcome).not.toBe(
    'success',
  );
});

test('cancelling during the upgrade stops it: the job ends cancelled with the initial answer', async () => {
  // Held far longer than the test waits: only the cancel can end the upgrade call.
  system.simulator.configure({ models: { 'sim-gpt-strong': { latencyMs: 120_000 } } });
  const before = (await system.request('GET', '/v1/usage')).body.totals.calls as number;
  const jobId = await system.submit({ prompt: 'echo: cancel me', speculative, fallbacks: false });
  await waitForInitial(jobId);

  const cancel = await system.request('DELETE', `/v1/jobs/${jobId}`);
  expect(cancel.status).toBe(200);
  expect(cancel.body.status).toBe('cancelled');

  const view = await job(jobId);
  expect(view.status).toBe('cancelled');
  expect(view.result).toMatchObject({
    model: 'sim-gpt-fast',
    stage: 'initial',
    upgrade_pending: false,
    upgrade_error: { code: 'cancelled' },
  });
  // The worker aborted the held upgrade and billed the fast call: only an ended upgrade call
  // lets it settle, long before the strong model's latency.
  const usage = await waitFor(
    async () => {
      const { body } = await system.request('GET', '/v1/usage?group_by=model');
      return body.totals.calls > before ? body : undefined;
    },
    { timeoutMs: 15_000, what: 'the cancelled job to be billed' },
  );
  expect(usage.totals.calls).toBe(before + 1);
  const events = await readEvents(`${system.apiUrl}/v1/jobs/${jobId}/events`, {
    Authorization: `Bearer ${apiKey}`,
  });
  const names = events.events.map((event) => event.event);
  expect(names).toContain('job.initial');
  expect(names).not.toContain('job.upgraded');
  expect((await job(jobId)).status).toBe('cancelled');
});

test('the sync endpoints refuse the option by name; bad combinations are refused', async () => {
  const openai = await system.request('POST', '/v1/chat/completions', {
    model: 'sim-gpt-fast',
    messages: [{ role: 'user', content: 'hi' }],
    speculative,
  });
  expect(openai.status).toBe(400);
  expect(openai.body.error).toMatchObject({ code: 'unsupported_parameter', param: 'speculative' });
  expect(openai.body.error.message).toContain('speculative');

  const anthropic = await system.request('POST', '/v1/messages', {
    model: 'sim-claude-fast',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'hi' }],
    speculative,
  });
  expect(anthropic.status).toBe(400);
  expect(anthropic.body).toMatchObject({ type: 'error' });
  expect(anthropic.body.error.message).toContain('speculative');

  const withHedge = await system.request('POST', '/v1/jobs', {
    prompt: 'hi',
    speculative,
    hedge: {},
  });
  expect(withHedge.status).toBe(400);
  expect(JSON.stringify(withHedge.body)).toContain('hedge');

  const same = await system.request('POST', '/v1/jobs', {
    prompt: 'hi',
    speculative: { fast_model: 'sim-gpt-strong', upgrade_model: 'sim-gpt-strong' },
  });
  expect(same.status).toBe(400);
  expect(same.body.error.code).toBe('invalid_speculative');
});
