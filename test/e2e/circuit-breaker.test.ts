import { CircuitBreaker, RedisKeys } from '@llmq/core';
import { waitFor } from '@llmq/testing';
import { startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System | undefined;

afterEach(async () => {
  await system?.stop();
  system = undefined;
});

it('opens after the threshold, shifts traffic to the fallback for every worker, and a half-open probe closes it', async () => {
  system = await startSystem({
    workers: 0,
    workerEnv: {
      LOG_LEVEL: 'info',
      RETRY_BASE_DELAY_MS: '10',
      RETRY_MAX_PER_MODEL: '1',
      CIRCUIT_CONSECUTIVE_FAILURES: '4',
      // Long enough to swap worker processes on a busy CI machine; the test ends it early below.
      CIRCUIT_COOLDOWN_MS: '60000',
    },
    simulatorModels: { 'sim-gpt-strong': { faults: { status500: 1 } } },
  });
  const current = system;
  const breaker = new CircuitBreaker(current.redis, new RedisKeys(current.prefix));
  const primaryCalls = () => current.simulator.counters().byModel['sim-gpt-strong'] ?? 0;
  const primaryCircuit = async () =>
    (await breaker.getCircuitStates()).find((circuit) => circuit.model === 'sim-gpt-strong');
  const run = async (prompt: string) =>
    current.waitForJob(await current.submit({ model: 'sim-gpt-strong', prompt }));

  // Worker A meets the failures: 2 calls per job (1 retry), the circuit opens at the 4th.
  const workerA = current.startWorker();
  for (const index of [1, 2]) {
    const job = await run(`failing ${index}`);
    expect(job.status).toBe('completed');
    expect(job.result.model).toBe('sim-claude-strong');
  }
  expect(primaryCalls()).toBe(4);
  expect(await primaryCircuit()).toMatchObject({ provider: 'simulator-openai', state: 'open' });
  // Worker B, a different process, never calls the open model: it goes straight to the fallback.
  const workerB = current.startWorker();
  await waitFor(() => (/worker-start/.test(workerB.output()) ? true : undefined), {
    what: 'worker B to start',
  });
  await workerA.stop('SIGTERM');
  const jobs = await Promise.all(Array.from({ length: 6 }, (_, index) => run(`shifted ${index}`)));
  for (const job of jobs) {
    expect(job.status).toBe('completed');
    expect(job.result.model).toBe('sim-claude-strong');
    expect(job.result.attempts[0]).toMatchObject({
      model: 'sim-gpt-strong',
      outcome: 'skipped',
      error_code: 'circuit_open',
    });
  }
  expect(primaryCalls()).toBe(4);

  // The upstream recovers; once the cooldown is over (cut short here by moving its end to
  // now, rather than waiting a minute) one probe goes through and closes the circuit.
  current.simulator.configure({ models: { 'sim-gpt-strong': { faults: { status500: 0 } } } });
  await current.redis.hset(
    new RedisKeys(current.prefix).circuit('simulator-openai', 'sim-gpt-strong'),
    'open_until',
    Date.now(),
  );
  const probe = await run('probe');
  expect(probe.result.model).toBe('sim-gpt-strong');
  expect(primaryCalls()).toBe(5);
  expect(await primaryCircuit()).toMatchObject({ state: 'closed', timesOpened: 1 });
  const after = await run('closed again');
  expect(after.result.model).toBe('sim-gpt-strong');
});
