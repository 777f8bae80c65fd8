import type { JobsOptions, Queue } from 'bullmq';
import { z } from 'zod';
import { jobCatalog, promptJobDataSchema } from './job-catalog';

/**
 * Everything it takes to put an accepted job in its queue, stored beside its record (see
 * `submit-scripts.ts`), so a job whose queue entry a crash lost can be enqueued again.
 */
export const submissionSchema = z.object({
  lane: z.enum(['standard', 'interactive']),
  data: promptJobDataSchema,
  /** BullMQ attempts (env `JOB_ATTEMPTS`). */
  attempts: z.number().int().min(1),
  /** The request's priority; the fair tag of the first enqueue is not kept. */
  priority: z.number().int(),
});
export type Submission = z.infer<typeof submissionSchema>;

/** The queue of each lane a prompt job can be submitted to. */
export interface LaneQueues {
  standard: Queue;
  interactive?: Queue;
}

/** The queue a submission goes to; throws when its lane has none configured. */
export function laneQueue(queues: LaneQueues, lane: Submission['lane']): Queue {
  const queue = lane === 'interactive' ? queues.interactive : queues.standard;
  if (!queue) throw new Error(`the ${lane} lane has no queue configured`);
  return queue;
}

/**
 * The BullMQ job name and options a submission is added with (its data is `submission.data`),
 * under its own job id; `priority` replaces the request's (a fair tag).
 */
export function submissionQueueAdd(
  submission: Submission,
  priority: number = submission.priority,
): { name: 'prompt'; options: JobsOptions & { jobId: string; priority: number } } {
  const entry =
    submission.lane === 'interactive' ? jobCatalog.interactivePrompt : jobCatalog.prompt;
  return {
    name: 'prompt',
    options: {
      ...entry.defaultOptions,
      attempts: submission.attempts,
      jobId: submission.data.jobId,
      priority,
    },
  };
}

/**
 * Adds the submission's job under its own job id: adding a job id BullMQ already holds is a
 * no-op, so a repair racing the first enqueue makes one queue entry, not two.
 */
export async function enqueueSubmission(
  queues: LaneQueues,
  submission: Submission,
  priority: number = submission.priority,
): Promise<void> {
  const { name, options } = submissionQueueAdd(submission, priority);
  await laneQueue(queues, submission.lane).add(name, submission.data, options);
}
