import { jobCatalog } from '@llmq/core';
import { waitFor } from '@llmq/testing';
import { Queue } from 'bullmq';
import OpenAI from 'openai';
import { startSystem } from '../system-harness';
import { chaosFull, drainAndTally, report } from './chaos-ledger';
import { startCountingReceiver } from './webhook-tally';

/**
 * Chaos scenario: background responses (`POST /v1/responses` with `background: true`) keep
 * arriving through the official `openai` client while a worker is SIGKILLed (a new one started
 * each time). Every accepted response must complete exactly once (its job's result written
 * once), read back completed through `responses.retrieve`, and its job's webhook to the tenant's
 * endpoint must arrive (issue #17). CI runs 240 responses and two kills.
 */
const responseCount = chaosFull ? 2000 : 240;
const kills = 2;
const rate = chaosFull ? 80 : 40;

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System | undefined;
let receiver: Awaited<ReturnType<typeof startCountingReceiver>> | undefined;

afterAll(async () => {
  await system?.stop();
  await receiver?.close();
});

it(`completes every background response once while a worker is SIGKILLed ${kills} times`, async () => {
  receiver = await startCountingReceiver();
  system = await startSystem({
    workers: 2,
    env: { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
    workerEnv: {
      WORKER_CONCURRENCY: '50',
      LOCK_DURATION_MS: '2000',
      STALLED_INTERVAL_MS: '1000',
      MAX_STALLED_COUNT: String(kills + 1),
      WEBHOOK_RELAY_CLAIM_IDLE_MS: '1000',
      WEBHOOK_RETRY_DELAYS_MS: '200,400,800,1600,3200',
    },
    // Slow enough that each kill catches calls in flight.
    simulatorModels: { 'sim-gpt-fast': { latencyMs: 1000 } },
  });
  const running = system;
  const endpoint = await running.request('POST', '/v1/webhook-endpoints', { url: receiver.url });
  expect(endpoint.status).toBe(201);
  const openai = new OpenAI({
    baseURL: `${running.apiUrl}/v1`,
    apiKey: 'e2e-key-0000001',
    maxRetries: 0,
  });

  // Workers start in the background; one still loading when it is killed would hold no call
  // (on a loaded machine that took longer than the first kill's delay, and nothing was caught).
  const standardLane = new Queue(jobCatalog.prompt.queue, {
    connection: running.redis,
    prefix: running.prefix,
  });
  await waitFor(async () => ((await standardLane.getWorkersCount()) >= 2 ? true : undefined), {
    timeoutMs: 30_000,
    what: 'both workers taking jobs',
  });
  await standardLane.close();

  const durationMs = (responseCount / rate) * 1000;
  let killed = 0;
  const killer = (async () => {
    for (let round = 0; round < kills; round += 1) {
      await new Promise((resolve) => setTimeout(resolve, durationMs / (kills + 1)));
      const victim = running.workers.filter((worker) => worker.child.exitCode === null)[0];
      if (!victim) continue;
      await victim.stop('SIGKILL');
      running.workers.splice(running.workers.indexOf(victim), 1);
      killed += 1;
      running.startWorker();
    }
  })();

  const accepted: string[] = [];
  const refused: string[] = [];
  const creates: Array<Promise<void>> = [];
  for (let index = 0; index < responseCount; index += 1) {
    creates.push(
      openai.responses
        .create({
          model: 'sim-gpt-fast',
          input: `echo: background chaos ${index}`,
          max_output_tokens: 16,
          background: true,
        })
        .then(
          (created) => {
            if (created.status === 'queued' || created.status === 'in_progress')
              accepted.push(created.id);
            else refused.push(`status ${created.status}`);
          },
          (error: unknown) => {
            refused.push(error instanceof Error ? error.message : String(error));
          },
        ),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
  }
  await Promise.all(creates);
  await killer;

  const jobIds = accepted.map((id) => id.replace(/^resp_/, 'job_'));
  const counts = await drainAndTally(
    running.redis,
    running.prefix,
    jobIds,
    chaosFull ? 300_000 : 90_000,
  );
  const webhookReceiver = receiver;
  let webhooks = webhookReceiver.tally(jobIds);
  for (let wait = 0; wait < 120 && webhooks.undelivered > 0; wait += 1) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    webhooks = webhookReceiver.tally(jobIds);
  }
  // What the Responses API says of them: each completed, with its echo.
  const sample = await Promise.all(
    accepted.slice(0, 20).map((id) => openai.responses.retrieve(id)),
  );
  const wrongAnswers = sample.filter(
    (response) =>
      response.status !== 'completed' || !response.output_text.startsWith('background chaos'),
  ).length;

  // The kills caught responses mid-call: those ran again on another worker.
  const attempts = await Promise.all(
    jobIds.map((id) => running.redis.hget(`${running.prefix}:job:${id}`, 'attempts')),
  );
  const recovered = attempts.filter((value) => Number(value) >= 2).length;

  const problems: string[] = [];
  if (refused.length > 0) problems.push(`creates refused: ${refused.slice(0, 3).join(', ')}`);
  if (counts.lost > 0) problems.push(`${counts.lost} lost`);
  if (counts.completedTwice > 0) problems.push(`${counts.completedTwice} written twice`);
  if (counts.failed > 0) problems.push(`${counts.failed} failed`);
  if (webhooks.undelivered > 0) problems.push(`${webhooks.undelivered} webhooks undelivered`);
  if (webhooks.unstableIds > 0) problems.push(`${webhooks.unstableIds} webhook-ids changed`);
  if (wrongAnswers > 0) problems.push(`${wrongAnswers} retrieved responses not completed`);
  if (killed !== kills) problems.push(`only ${killed} of ${kills} kills happened`);
  if (recovered === 0) problems.push('no response was caught mid-call by a kill');
  report({
    scenario: 'sigkill-background-responses',
    counts,
    details: { webhooks, killed, recovered },
    problems,
  });
  expect(problems).toEqual([]);
  expect(counts.completed).toBe(responseCount);
});
