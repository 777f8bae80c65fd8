import { waitFor } from '@llmq/testing';
import { startSystem } from '../system-harness';

/**
 * An API process stopped (SIGTERM) while it runs a sync job itself (`INLINE_CONCURRENCY`): it
 * waits up to SHUTDOWN_TIMEOUT_MS for the job and answers its client; a job still running then
 * is left to its lock, and a worker runs it again once the lock lapses. Either way the job
 * ends once, with one result.
 */
type System = Awaited<ReturnType<typeof startSystem>>;
let system: System | undefined;

afterEach(async () => {
  await system?.stop();
  system = undefined;
});

function slowChat(running: System, content: string) {
  return running
    .request('POST', '/v1/chat/completions', {
      model: 'sim-gpt-strong',
      messages: [{ role: 'user', content }],
      max_tokens: 20,
    })
    .catch((error: unknown) => error);
}

async function inlineCallStarted(running: System): Promise<string> {
  const jobId = await waitFor(
    () => running.simulator.counters().recent[0]?.headers['x-llmq-job-id'],
    { timeoutMs: 10_000, what: "the API's provider call" },
  );
  const lane = `${running.prefix}:prompts-interactive`;
  expect(await running.redis.get(`${lane}:${jobId}:lock`)).toBeTruthy();
  return jobId;
}

it('drains a sync job it runs: the client is answered, the API exits 0, one call', async () => {
  system = await startSystem({
    workers: 0,
    apiEnv: { SHUTDOWN_TIMEOUT_MS: '10000' },
    simulatorModels: { 'sim-gpt-strong': { latencyMs: 2000 } },
  });
  const running = system;
  const request = slowChat(running, 'echo: drained');
  const jobId = await inlineCallStarted(running);
  const exited = running.api.stop('SIGTERM');
  const response = (await request) as { status: number; body: { choices: unknown[] } };
  expect(response.status).toBe(200);
  expect(response.body.choices).toMatchObject([{ message: { content: 'drained' } }]);
  // Exited by itself once the answer went out, not by the forced exit (10 s + the timeout).
  const stoppedAt = Date.now();
  expect(await exited).toBe(0);
  expect(Date.now() - stoppedAt).toBeLessThan(5_000);
  const record = `${running.prefix}:job:${jobId}`;
  expect(await running.redis.hget(record, 'status')).toBe('completed');
  expect(await running.redis.hget(record, 'result_writes')).toBe('1');
  expect(running.simulator.counters().recent).toHaveLength(1);
});

it.each([
  ['3', 'with attempts left'],
  ['1', 'on its last attempt'],
])(
  'leaves a job running past SHUTDOWN_TIMEOUT_MS to its lock (JOB_ATTEMPTS=%s, %s): a worker finishes it once',
  async (attempts) => {
    system = await startSystem({
      workers: 1,
      env: { JOB_ATTEMPTS: attempts },
      apiEnv: { SHUTDOWN_TIMEOUT_MS: '500', LOCK_DURATION_MS: '2000' },
      workerEnv: { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' },
      simulatorModels: { 'sim-gpt-strong': { latencyMs: 3000 } },
    });
    const running = system;
    const request = slowChat(running, 'echo: left to its lock');
    const jobId = await inlineCallStarted(running);
    const exited = running.api.stop('SIGTERM');
    const record = `${running.prefix}:job:${jobId}`;
    await waitFor(
      async () => ((await running.redis.hget(record, 'status')) === 'completed' ? true : undefined),
      { timeoutMs: 30_000, what: 'the job to be finished' },
    );
    expect(await exited).not.toBeNull();
    expect(await running.redis.hget(record, 'result_writes')).toBe('1');
    const lane = `${running.prefix}:prompts-interactive`;
    await waitFor(
      async () => ((await running.redis.llen(`${lane}:active`)) === 0 ? true : undefined),
      { timeoutMs: 10_000, what: 'the lane to be empty' },
    );
    expect(await running.redis.zscore(`${lane}:completed`, jobId)).not.toBeNull();
    expect(running.api.output()).toContain('inline-jobs-left');
    // The stopping API still answered its client, with the worker's run.
    const response = (await request) as { status: number; body: { choices: unknown[] } };
    expect(response.status).toBe(200);
    expect(response.body.choices).toMatchObject([{ message: { content: 'left to its lock' } }]);
  },
);
