// Baseline server: a bare Express 5 app with nothing llmq does (no auth, validation, filters,
// limits or job record). `BASELINE_MODE=queue`: `POST /v1/jobs` does one BullMQ `queue.add`
// and answers 202; `BASELINE_MODE=constant`: `POST /v1/chat/completions` answers a constant.
import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import express from 'express';
import { Redis } from 'ioredis';
import { baselineEnv } from '../lib/bench-env.mjs';

const env = baselineEnv();
const mode = env.BASELINE_MODE;
const app = express();
app.use(express.json());
app.get('/healthz', (_request, response) => {
  response.json({ ok: true });
});

if (mode === 'queue') {
  const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
  // Same retention as llmq's prompt jobs, so Redis does the same work per job.
  const queue = new Queue(env.BASELINE_QUEUE, {
    connection,
    prefix: 'baseline',
    defaultJobOptions: {
      attempts: 3,
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 24 * 3600, count: 5000 },
    },
  });
  app.post('/v1/jobs', async (request, response) => {
    const id = `job_${randomUUID().replace(/-/g, '')}`;
    await queue.add(
      'prompt',
      { ...request.body, createdAt: Date.now() },
      { jobId: id, priority: 5 },
    );
    response.status(202).json({ id, object: 'job', status: 'queued' });
  });
} else {
  const answer = {
    id: 'chatcmpl-constant',
    object: 'chat.completion',
    created: 0,
    model: 'sim-gpt-fast',
    choices: [
      { index: 0, message: { role: 'assistant', content: 'constant' }, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 1, total_tokens: 11 },
  };
  app.post('/v1/chat/completions', (_request, response) => {
    response.json(answer);
  });
}

if (env.PORT === undefined) throw new Error('bare-server needs PORT');
app.listen(env.PORT, '127.0.0.1');
