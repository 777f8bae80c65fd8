import { waitFor } from '@llmq/testing';
import { apiKey, otherTenantApiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;

/** Every provider call takes this long: a running job holds its place this long at least. */
const callMs = 400;
const adminKey = 'e2e-admin-key-for-flow-control-0001';

let system: System;

beforeAll(async () => {
  system = await startSystem({
    simulatorModels: {
      'sim-gpt-fast': { latencyMs: callMs },
      'sim-gpt-strong': { latencyMs: callMs },
    },
    apiEnv: { ADMIN_API_KEY: adminKey },
    // Each worker alone could run all of a tenant's jobs at once.
    workerEnv: { WORKER_CONCURRENCY: '8' },
    workers: 0,
  });
});

afterAll(async () => {
  await system?.stop();
});

const admin = { Authorization: `Bearer ${adminKey}` };
const other = { Authorization: `Bearer ${otherTenantApiKey}` };

async function submitAs(key: string, body: Record<string, unknown>): Promise<string> {
  const response = await system.request('POST', '/v1/jobs', body, {
    Authorization: `Bearer ${key}`,
  });
  if (response.status !== 202) throw new Error(`submit: ${JSON.stringify(response.body)}`);
  return response.body.id as string;
}

/** The most calls of `model` any window of `windowMs` saw arrive at the simulator. */
function mostArrivalsWithin(model: string, windowMs: number): number {
  const arrivals = system.simulator
    .counters()
    .recent.filter((call) => call.model === model)
    .map((call) => call.at)
    .sort((a, b) => a - b);
  let most = 0;
  let start = 0;
  for (let end = 0; end < arrivals.length; end += 1) {
    while ((arrivals[end] as number) - (arrivals[start] as number) >= windowMs) start += 1;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

test('a per-tenant cap of 2 never has more than 2 running jobs across two workers, and other tenants are not held up', async () => {
  const set = await system.request(
    'PUT',
    '/v1/admin/tenants/e2e/flow',
    { max_running_jobs: 2 },
    admin,
  );
  expect(set.status).toBe(200);
  expect(set.body.effective).toEqual({ weight: 1, max_running_jobs: 2 });

  // The capped tenant's backlog is queued first, then another tenant's few jobs.
  const capped: string[] = [];
  for (let index = 0; index < 12; index += 1)
    capped.push(await submitAs(apiKey, { model: 'sim-gpt-fast', prompt: `capped ${index}` }));
  const free: string[] = [];
  for (let index = 0; index < 4; index += 1)
    free.push(
      await submitAs(otherTenantApiKey, { model: 'sim-gpt-strong', prompt: `free ${index}` }),
    );

  // While it waits for a worker, a queued job shows its place in the lane: the other
  // tenant's 4 jobs take turns with this tenant's first ones, so the 6th is 10th.
  const queued = await system.request('GET', `/v1/jobs/${capped[5]}`);
  expect(queued.body.queue).toMatchObject({ state: 'waiting', position: 10 });

  system.startWorker();
  system.startWorker();

  // Watch the records: never more than 2 of the capped tenant's jobs active at once.
  let mostActive = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const pipeline = system.redis.pipeline();
      for (const jobId of capped) pipeline.hget(`${system.prefix}:job:${jobId}`, 'status');
      const statuses = ((await pipeline.exec()) ?? []).map(([, status]) => status);
      mostActive = Math.max(mostActive, statuses.filter((status) => status === 'active').length);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  try {
    const freeJobs = await Promise.all(free.map((jobId) => waitForJobAs(jobId, other)));
    const cappedJobs = await Promise.all(capped.map((jobId) => system.waitForJob(jobId, 60_000)));
    for (const job of [...freeJobs, ...cappedJobs]) {
      expect(job.status).toBe('completed');
      // Waiting for a place spent no attempt.
      expect(job.attempts).toBe(1);
    }
    // The other tenant's jobs ran beside the capped backlog, not after it.
    const lastFree = Math.max(...freeJobs.map((job) => Date.parse(job.finished_at)));
    const lastCapped = Math.max(...cappedJobs.map((job) => Date.parse(job.finished_at)));
    expect(lastFree).toBeLessThan(lastCapped - 2 * callMs);
  } finally {
    watching = false;
    await watcher;
  }
  expect(mostActive).toBeGreaterThanOrEqual(1);
  expect(mostActive).toBeLessThanOrEqual(2);
  // The provider's side agrees: no window shorter than one call saw 3 of the tenant's calls.
  expect(mostArrivalsWithin('sim-gpt-fast', callMs - 50)).toBeLessThanOrEqual(2);
  expect(system.simulator.counters().byModel['sim-gpt-fast']).toBe(12);
  // Without the cap the two workers would have run many at once.
  expect(mostArrivalsWithin('sim-gpt-strong', callMs - 50)).toBeGreaterThan(2);
  // The lane's measured starts (the wait estimate's rate) count each job once: a job sent
  // back by the cap is not a start.
  const startsKey = `${system.prefix}:lane-starts:prompts-standard`;
  await waitFor(
    async () => {
      const counts = Object.values(await system.redis.hgetall(startsKey));
      const total = counts.reduce((sum, count) => sum + Number(count), 0);
      return total >= 16 ? total : undefined;
    },
    { timeoutMs: 5000, what: 'the lane starts to be counted' },
  );
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const counts = Object.values(await system.redis.hgetall(startsKey));
  expect(counts.reduce((sum, count) => sum + Number(count), 0)).toBe(16);
}, 90_000);

test('a job not started by its start_by fails deadline_exceeded without a provider call', async () => {
  for (const worker of system.workers) await worker.stop('SIGTERM');
  const callsBefore = system.simulator.counters().total;
  const late = await submitAs(apiKey, {
    model: 'sim-gpt-fast',
    prompt: 'too late',
    start_within_ms: 300,
  });
  const inTime = await submitAs(apiKey, {
    model: 'sim-gpt-fast',
    prompt: 'in time',
    start_by: new Date(Date.now() + 60_000).toISOString(),
  });
  const view = await system.request('GET', `/v1/jobs/${late}`);
  expect(view.body.start_by).toBeDefined();
  await new Promise((resolve) => setTimeout(resolve, 600));
  system.startWorker();

  const failed = await system.waitForJob(late);
  expect(failed.status).toBe('failed');
  expect(failed.error.code).toBe('deadline_exceeded');
  expect(failed.started_at).toBeNull();
  const completed = await system.waitForJob(inTime);
  expect(completed.status).toBe('completed');
  // One call: the job in time. The late one never reached the provider.
  expect(system.simulator.counters().total - callsBefore).toBe(1);

  const past = await system.request('POST', '/v1/jobs', {
    prompt: 'x',
    start_by: new Date(Date.now() - 1000).toISOString(),
  });
  expect(past.status).toBe(400);
  expect(past.body.error.code).toBe('invalid_request');
}, 60_000);

async function waitForJobAs(jobId: string, headers: Record<string, string>) {
  return waitFor(
    async () => {
      const { body } = await system.request('GET', `/v1/jobs/${jobId}`, undefined, headers);
      return ['completed', 'failed', 'cancelled'].includes(body?.status) ? body : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 50, what: `job ${jobId} to finish` },
  );
}
