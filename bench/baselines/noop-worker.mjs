// Baseline worker: a BullMQ worker whose processor does nothing, on the bare server's queue.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
const worker = new Worker(process.env.BASELINE_QUEUE ?? 'bare', async () => undefined, {
  connection,
  prefix: 'baseline',
  concurrency: Number(process.env.CONCURRENCY ?? 50),
});
worker.on('error', () => undefined);
process.on('SIGTERM', () => {
  worker.close().then(() => process.exit(0));
});
