import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@llmq/testing';
import { Redis } from 'ioredis';
import {
  type LocalRedisCluster,
  startRedisCluster,
} from '../../../scripts/lib/local-redis-cluster.js';
import { readEvents } from '../read-sse';
import { apiKey, startSystem } from '../system-harness';
import { report, tallyJobs } from './chaos-ledger';
import { startCountingReceiver } from './webhook-tally';

/**
 * Chaos scenario 7 (its CI part): llmq on a three-master Redis Cluster on loopback, with a
 * hash-tagged prefix. Async jobs, webhooks, job events, the sync endpoint and a SIGKILLed
 * worker all work, and every key llmq and BullMQ wrote sits in the prefix's one slot.
 * `npm run chaos` also runs the whole end-to-end suite on a cluster (`npm run test:cluster`).
 */
let cluster: LocalRedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({
    dir: path.join(os.tmpdir(), `llmq-chaos-cluster-${process.pid}-${Date.now()}`),
  });
});
afterAll(async () => {
  await cluster?.stop();
});

it('runs jobs, webhooks, events, sync calls and worker recovery on Redis Cluster in one slot', async () => {
  const receiver = await startCountingReceiver();
  const prefix = `{llmq-test-${process.pid}-${Date.now()}}`;
  const system = await startSystem({
    redisUrl: cluster.url,
    prefix,
    workers: 2,
    env: { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
    workerEnv: {
      WORKER_CONCURRENCY: '20',
      LOCK_DURATION_MS: '2000',
      STALLED_INTERVAL_MS: '1000',
      WEBHOOK_RELAY_CLAIM_IDLE_MS: '1000',
    },
    simulatorModels: { 'sim-gpt-fast': { latencyMs: 200 } },
  });
  try {
    const ids = await Promise.all(
      Array.from({ length: 60 }, (_, index) =>
        system.submit({
          model: 'sim-gpt-fast',
          prompt: `cluster ${index}`,
          max_tokens: 8,
          webhook: { url: receiver.url },
        }),
      ),
    );
    // A worker dies with jobs in flight; the other and a new one finish them.
    await waitFor(() => (system.simulator.counters().total >= 5 ? true : undefined), {
      what: 'calls in flight',
    });
    const victim = system.workers[0];
    await victim?.stop('SIGKILL');
    system.startWorker();

    const sync = await system.request('POST', '/v1/chat/completions', {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: 'sync on a cluster' }],
    });
    expect(sync.status).toBe(200);
    expect(sync.body.choices[0].message.content).toEqual(expect.any(String));

    const { status, events } = await readEvents(`${system.apiUrl}/v1/jobs/${ids[0]}/events`, {
      Authorization: `Bearer ${apiKey}`,
    });
    expect(status).toBe(200);
    expect(events.some((event) => event.data.includes('"completed"'))).toBe(true);

    await waitFor(
      async () => ((await tallyJobs(system.redis, prefix, ids)).lost === 0 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 250, what: 'every job to finish' },
    );
    const counts = await tallyJobs(system.redis, prefix, ids);
    const webhooks = await waitFor(
      () => {
        const tally = receiver.tally(ids);
        return tally.undelivered === 0 ? tally : undefined;
      },
      { timeoutMs: 30_000, what: 'every webhook' },
    );

    // Every key under the prefix hashes to the prefix's slot, on the one node that owns it.
    const slot = await system.redis.cluster('KEYSLOT', prefix);
    const perNode = await Promise.all(
      cluster.ports.map(async (port) => {
        const node = new Redis(port, '127.0.0.1');
        try {
          const keys = await node.keys(`${prefix}*`);
          const slots = new Set(await Promise.all(keys.map((key) => node.cluster('KEYSLOT', key))));
          return { port, keys: keys.length, slots: [...slots] };
        } finally {
          node.disconnect();
        }
      }),
    );
    const holders = perNode.filter((node) => node.keys > 0);
    const problems: string[] = [];
    if (holders.length !== 1) problems.push(`keys on ${holders.length} nodes`);
    if (holders.some((node) => node.slots.some((value) => value !== slot)))
      problems.push('keys outside the prefix slot');
    if (counts.lost + counts.completedTwice + counts.failed > 0)
      problems.push(`lost=${counts.lost} twice=${counts.completedTwice} failed=${counts.failed}`);
    if (webhooks.unstableIds > 0) problems.push(`${webhooks.unstableIds} webhook-ids changed`);
    report({
      scenario: '7-redis-cluster',
      counts,
      details: { slot, keysPerNode: perNode.map(({ port, keys }) => ({ port, keys })), webhooks },
      problems,
    });
    expect(problems).toEqual([]);
  } finally {
    await system.stop();
    await receiver.close();
  }
}, 120_000);
