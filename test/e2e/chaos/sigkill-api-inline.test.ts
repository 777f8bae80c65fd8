import { waitFor } from '@llmq/testing';
import { startSystem } from '../system-harness';

/**
 * An API process SIGKILLed while it runs a sync job itself (`INLINE_CONCURRENCY`): the job was
 * written and taken in the accept's one script, so it is left active under the API's lock. The
 * lock lapses, a worker's stalled-job check moves the job back and a worker runs it; the job
 * store keeps one result and the call journal counts the call the kill cut off, as for a
 * SIGKILLed worker's job.
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System | undefined;

afterAll(async () => {
  await system?.stop();
});

it('finishes on a worker the sync job a SIGKILLed API was running, storing its result once', async () => {
  system = await startSystem({
    workers: 1,
    apiEnv: { LOCK_DURATION_MS: '2000' },
    workerEnv: { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' },
    simulatorModels: { 'sim-gpt-strong': { latencyMs: 2500 } },
  });
  const running = system;
  const request = running
    .request('POST', '/v1/chat/completions', {
      model: 'sim-gpt-strong',
      messages: [{ role: 'user', content: 'echo: outlives its API' }],
      max_tokens: 20,
    })
    .catch((error: unknown) => error);
  // The API's own call is in flight: the job runs in the API.
  const jobId = await waitFor(
    () => running.simulator.counters().recent[0]?.headers['x-llmq-job-id'],
    { timeoutMs: 10_000, what: "the API's provider call" },
  );
  const lane = `${running.prefix}:prompts-interactive`;
  expect(await running.redis.lrange(`${lane}:active`, 0, -1)).toEqual([jobId]);
  expect(await running.redis.get(`${lane}:${jobId}:lock`)).toBeTruthy();
  await running.api.stop('SIGKILL');
  // The client's connection went with the API.
  expect(String(await request)).toMatch(/fetch failed/);

  const record = `${running.prefix}:job:${jobId}`;
  await waitFor(
    async () => ((await running.redis.hget(record, 'status')) === 'completed' ? true : undefined),
    { timeoutMs: 30_000, what: 'a worker to finish the job' },
  );
  expect(await running.redis.hget(record, 'result_writes')).toBe('1');
  const result = JSON.parse((await running.redis.hget(record, 'result')) ?? 'null') as {
    content: Array<{ type: string; text: string }>;
    attempts: Array<{ outcome: string; cost_estimated?: boolean }>;
  };
  expect(result.content).toEqual([{ type: 'text', text: 'outlives its API' }]);
  // Two calls reached the simulator: the API's, cut off and counted, and the worker's.
  const calls = running.simulator
    .counters()
    .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId);
  expect(calls).toHaveLength(2);
  expect(result.attempts.map((attempt) => attempt.outcome).sort()).toEqual([
    'interrupted',
    'success',
  ]);
  // BullMQ's job: started twice (the API's take, the worker's fetch after the stall), completed.
  expect(await running.redis.hget(`${lane}:${jobId}`, 'ats')).toBe('2');
  expect(await running.redis.zscore(`${lane}:completed`, jobId)).not.toBeNull();
});
