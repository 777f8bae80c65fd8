import { waitFor } from '@llmq/testing';
import { Job, Queue } from 'bullmq';
import OpenAI, { toFile } from 'openai';
import { batchLines } from './batch-helpers';
import { apiKey, otherTenantApiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;

/** One provider call: the simulator answers every request after this long. */
const providerCallMs = 500;
const tenantALines = 20_000;

let system: System;
let tenantA: OpenAI;
let tenantB: OpenAI;

beforeAll(async () => {
  system = await startSystem({
    simulatorModels: { 'sim-gpt-fast': { latencyMs: providerCallMs } },
    // Small shares, so tenant A's batch keeps the bulk lane busy for minutes; the idle lanes
    // lend theirs to it (lane lending), and the interactive lane takes its share back at once.
    workerEnv: {
      WORKER_CONCURRENCY: '4',
      INTERACTIVE_CONCURRENCY: '25',
      BULK_WORKER_CONCURRENCY: '8',
    },
  });
  const options = { baseURL: `${system.apiUrl}/v1`, maxRetries: 0 };
  tenantA = new OpenAI({ ...options, apiKey });
  tenantB = new OpenAI({ ...options, apiKey: otherTenantApiKey });
});

afterAll(async () => {
  await system?.stop();
});

async function startBatch(client: OpenAI, lines: string) {
  const file = await client.files.create({
    file: await toFile(Buffer.from(lines), 'input.jsonl'),
    purpose: 'batch',
  });
  return client.batches.create({
    input_file_id: file.id,
    endpoint: '/v1/chat/completions',
    completion_window: '24h',
  });
}

test("one tenant's 20,000 bulk jobs delay neither another tenant's interactive requests nor its bulk jobs", async () => {
  const controlQueue = new Queue('batch-control', {
    connection: system.redis,
    prefix: system.prefix,
  });
  try {
    // Tenant A queues 20,000 batch lines, all in the bulk lane.
    const batchA = await startBatch(tenantA, batchLines(tenantALines, { prefix: 'a' }));
    await waitFor(
      async () => {
        const ingest = await Job.fromId(controlQueue, `ingest-${batchA.id}`);
        return (await ingest?.isCompleted()) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: "tenant A's lines to be queued" },
    );

    // Tenant B: 20 sync requests (interactive lane) and a 20-line batch (bulk lane), together.
    const interactive = Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        tenantB.chat.completions.create({
          model: 'sim-gpt-fast',
          messages: [{ role: 'user', content: `interactive ${index}` }],
          max_tokens: 8,
        }),
      ),
    );
    const batchB = await startBatch(tenantB, batchLines(20, { prefix: 'b' }));

    // B's interactive jobs started within one provider call of being queued.
    const completions = await interactive;
    for (const completion of completions) {
      const jobId = completion.id.replace(/^chatcmpl-/, '');
      const job = await system.request('GET', `/v1/jobs/${jobId}`, undefined, {
        Authorization: `Bearer ${otherTenantApiKey}`,
      });
      expect(job.body.status).toBe('completed');
      expect(job.body.result.timings.queue_wait_ms).toBeLessThan(providerCallMs);
    }

    // B's bulk lines take turns with A's backlog instead of queuing behind all of it: B's
    // batch ends while A has most of its lines left (FIFO would need all 20,000 first).
    const doneB = await waitFor(
      async () => {
        const batch = await tenantB.batches.retrieve(batchB.id);
        return batch.status === 'completed' ? batch : undefined;
      },
      // FIFO (LANE_FAIRNESS=false) would run all of A's lines first: minutes, not seconds.
      { timeoutMs: 30_000, intervalMs: 100, what: "tenant B's batch to complete" },
    );
    const progressA = await tenantA.batches.retrieve(batchA.id);
    expect(doneB.request_counts).toMatchObject({ total: 20, completed: 20, failed: 0 });
    expect(progressA.status).toBe('in_progress');
    expect(progressA.request_counts?.completed ?? 0).toBeLessThan(tenantALines / 4);

    // Stop A's batch: the lines not yet started end as cancelled (the test stops here).
    const cancelled = await tenantA.batches.cancel(batchA.id);
    expect(cancelled.status).toBe('cancelling');
  } finally {
    await controlQueue.close();
  }
});
