import { waitFor } from '@llmq/testing';
import { startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System | undefined;

afterEach(async () => {
  await system?.stop();
  system = undefined;
});

const fastRecovery = {
  LOCK_DURATION_MS: '2000',
  STALLED_INTERVAL_MS: '1000',
  WORKER_CONCURRENCY: '10',
};

describe('worker failures', () => {
  it('finishes the jobs of a SIGKILLed worker on another worker, storing each result once', async () => {
    system = await startSystem({
      workers: 0,
      workerEnv: fastRecovery,
      simulatorModels: { 'sim-gpt-fast': { latencyMs: 800 } },
    });
    const doomed = system.startWorker();
    const jobIds = await Promise.all(
      Array.from({ length: 30 }, (_, index) => system!.submit({ prompt: `job ${index}` })),
    );
    // Wait until the doomed worker is holding jobs in flight, then kill it without warning.
    await waitFor(() => (system!.simulator.counters().total >= 5 ? true : undefined), {
      what: 'calls in flight',
    });
    await doomed.stop('SIGKILL');
    system.startWorker();

    const jobs = await Promise.all(jobIds.map((id) => system!.waitForJob(id, 60_000)));
    expect(jobs.map((job) => job.status)).toEqual(jobIds.map(() => 'completed'));
    // At least one job ran twice (recovered after the kill), yet every result was written once.
    expect(jobs.some((job) => job.attempts >= 2)).toBe(true);
    for (const id of jobIds) {
      expect(await system.redis.hget(`${system.prefix}:job:${id}`, 'result_writes')).toBe('1');
    }
    // Every call the simulator received is in its job's attempts, the ones the kill cut off
    // included (recorded as started before they were made), each priced as an estimate.
    const received = new Map<string, number>();
    for (const call of system.simulator.counters().recent) {
      const id = call.headers['x-llmq-job-id'];
      if (id) received.set(id, (received.get(id) ?? 0) + 1);
    }
    type Attempt = { outcome: string; cost_usd: number; cost_estimated?: boolean };
    const calls = (job: { result: { attempts: Attempt[] } }) =>
      job.result.attempts.filter((attempt) => attempt.outcome !== 'skipped');
    expect(jobs.map((job) => calls(job).length)).toEqual(jobs.map((job) => received.get(job.id)));
    const interrupted = jobs.flatMap((job) =>
      calls(job).filter((attempt) => attempt.outcome === 'interrupted'),
    );
    expect(interrupted.length).toBeGreaterThan(0);
    for (const attempt of interrupted) {
      expect(attempt.cost_estimated).toBe(true);
      expect(attempt.cost_usd).toBeGreaterThan(0);
    }
  });

  it('lets active jobs finish on SIGTERM, then exits cleanly', async () => {
    system = await startSystem({
      workers: 0,
      workerEnv: fastRecovery,
      simulatorModels: { 'sim-gpt-fast': { latencyMs: 1000 } },
    });
    const worker = system.startWorker();
    const jobIds = await Promise.all(
      Array.from({ length: 5 }, (_, index) => system!.submit({ prompt: `graceful ${index}` })),
    );
    await waitFor(() => (system!.simulator.counters().total >= 5 ? true : undefined), {
      what: 'all jobs active',
    });
    const exitCode = await worker.stop('SIGTERM');
    expect(exitCode).toBe(0);
    for (const id of jobIds) {
      const job = await system.waitForJob(id, 5000);
      expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    }
  });
});
