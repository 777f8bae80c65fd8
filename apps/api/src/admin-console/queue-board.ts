import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { queueNames, type RedisKeys } from '@llmq/core';
import { Queue } from 'bullmq';
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';

export const queueBoardPath = '/admin/queues';

/** Bull Board over every llmq queue, in a full and a read-only variant. */
export interface QueueBoard {
  full: RequestHandler;
  readOnly: RequestHandler;
  close(): Promise<void>;
}

/**
 * Builds Bull Board for every queue in `queueNames`, so a queue added there shows up here
 * without another change. Two boards share the queues: a full one for the `admin` scope and a
 * read-only one (no retry, clean, promote, …) for `admin:read`.
 */
export function createQueueBoard(connection: Redis, keys: RedisKeys): QueueBoard {
  const queues = Object.values(queueNames).map(
    (name) => new Queue(name, { connection, prefix: keys.prefix }),
  );
  const build = (readOnlyMode: boolean): RequestHandler => {
    const serverAdapter = new ExpressAdapter();
    serverAdapter.setBasePath(queueBoardPath);
    createBullBoard({
      queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode })),
      serverAdapter,
      options: {
        uiConfig: {
          boardTitle: readOnlyMode ? 'llmq (read-only)' : 'llmq',
          // The console's job explorer (admin-console/jobs-page.ts), beside the queues.
          miscLinks: [{ text: 'Jobs', url: '/admin/jobs' }],
        },
      },
    });
    return serverAdapter.getRouter() as RequestHandler;
  };
  return {
    full: build(false),
    readOnly: build(true),
    async close() {
      await Promise.all(queues.map((queue) => queue.close()));
    },
  };
}
