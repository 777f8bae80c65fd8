import { waitFor } from '@llmq/testing';
import { startSystem } from '../system-harness';
import { chaosFull, drainAndTally, report } from './chaos-ledger';
import { pacedSubmit } from './chaos-load';

/**
 * Chaos scenario 4 (`npm run chaos` only): both workers get SIGTERM while jobs run and keep
 * arriving. Each finishes its active jobs and exits 0 (a graceful stop, not a stall), nothing is
 * lost, and two restarted workers carry on with the rest.
 */
const maybe = chaosFull ? it : it.skip;

maybe(
  'lets active jobs finish when both workers get SIGTERM, loses nothing, and restarted workers carry on',
  async () => {
    const system = await startSystem({
      workers: 2,
      workerEnv: { WORKER_CONCURRENCY: '30', SHUTDOWN_TIMEOUT_MS: '20000' },
      simulatorModels: { 'sim-gpt-fast': { latencyMs: 1500 } },
    });
    try {
      const load = pacedSubmit({
        apiUrl: system.apiUrl,
        rate: 40,
        durationMs: 20_000,
        body: (index) => ({ model: 'sim-gpt-fast', prompt: `sigterm ${index}`, max_tokens: 8 }),
      });
      // SIGTERM only once both workers run jobs (a loaded machine can take seconds to start them).
      await waitFor(
        async () => {
          const active = await system.redis.llen(`${system.prefix}:prompts-standard:active`);
          return active >= 40 ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: 'both workers to hold active jobs' },
      );
      // BullMQ's active list holds our job ids (the submitter sets jobId).
      const active = await system.redis.lrange(`${system.prefix}:prompts-standard:active`, 0, -1);
      const stopping = [...system.workers];
      system.workers.length = 0;
      const exitCodes = await Promise.all(stopping.map((worker) => worker.stop('SIGTERM')));
      // Jobs keep arriving while no worker runs; two new workers take them.
      system.startWorker();
      system.startWorker();
      const submitted = await load;
      const counts = await drainAndTally(system.redis, system.prefix, submitted.accepted, 180_000);
      // The jobs that were active at SIGTERM finished on their first attempt: nobody cut them off.
      const attempts = await Promise.all(
        active.map((jobId) => system.redis.hget(`${system.prefix}:job:${jobId}`, 'attempts')),
      );
      const activeRetried = attempts.filter((value) => Number(value ?? 0) > 1).length;
      const problems: string[] = [];
      if (exitCodes.some((code) => code !== 0)) problems.push(`exit codes ${exitCodes.join(',')}`);
      if (counts.lost > 0) problems.push(`${counts.lost} lost`);
      if (counts.completedTwice > 0) problems.push(`${counts.completedTwice} written twice`);
      if (counts.failed > 0) problems.push(`${counts.failed} failed`);
      if (active.length === 0) problems.push('no job was active at SIGTERM');
      if (activeRetried > 0) problems.push(`${activeRetried} active jobs ran again after SIGTERM`);
      report({
        scenario: '4-sigterm-workers',
        counts,
        details: {
          activeAtSigterm: active.length,
          activeRetried,
          exitCodes,
          rejected: submitted.rejected,
        },
        problems,
      });
      expect(problems).toEqual([]);
    } finally {
      await system.stop();
    }
  },
  300_000,
);
