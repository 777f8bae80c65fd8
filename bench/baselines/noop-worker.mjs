// Baseline worker: a BullMQ worker whose processor does nothing, on the bare server's queue.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { baselineEnv } from '../lib/bench-env.mjs';

const env = baselineEnv();

const connection = new Redis(env.REDIS_URL, { maxRetriesPerRequest: null });
const worker = new Worker(env.BASELINE_QUEUE, async () => undefined, {
  connection,
  prefix: 'baseline',
  concurrency: env.CONCURRENCY,
});
worker.on('error', () => undefined);
process.on('SIGTERM', () => {
  worker.close().then(() => process.exit(0));
});
