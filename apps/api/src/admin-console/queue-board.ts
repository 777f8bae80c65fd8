import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { queueNames, type RedisKeys } from '@llmq/core';
import { Queue } from 'bullmq';
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { jobDataView } from './job-data-view';

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
 * read-only one (no retry, clean, promote, …) for `admin:read`, which shows each job's data
 * without its prompt text (see `jobDataView`). The full board shows the data as it is: an
 * admin edits it there (update data, duplicate), and may issue any tenant a key anyway.
 */
export function createQueueBoard(connection: Redis, keys: RedisKeys): QueueBoard {
  const queues = Object.values(queueNames).map(
    (name) => new Queue(name, { connection, prefix: keys.prefix }),
  );
  const build = (readOnlyMode: boolean): RequestHandler => {
    const serverAdapter = new ExpressAdapter();
    serverAdapter.setBasePath(queueBoardPath);
    createBullBoard({
      queues: queues.map((queue) => {
        const adapter = new BullMQAdapter(queue, { readOnlyMode });
        if (readOnlyMode) adapter.setFormatter('data', jobDataView);
        return adapter;
      }),
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
