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

/** A submission's BullMQ add: its job name, options, job id and priority (see `queueAddCall`). */
export interface SubmissionAdd {
  name: 'prompt';
  /**
   * The lane's job options with the submission's attempts: one frozen object per lane and
   * count, so `queueAddCall` serialises it once to find its template, not on every submit.
   */
  fixed: Readonly<JobsOptions>;
  jobId: string;
  priority: number;
}

const fixedOptions = new Map<string, Readonly<JobsOptions>>();

/** The lane's default job options with `attempts`, built once per lane and count. */
function fixedOptionsOf(lane: Submission['lane'], attempts: number): Readonly<JobsOptions> {
  const key = `${lane}\n${attempts}`;
  let options = fixedOptions.get(key);
  if (!options) {
    const entry = lane === 'interactive' ? jobCatalog.interactivePrompt : jobCatalog.prompt;
    options = Object.freeze({ ...entry.defaultOptions, attempts });
    fixedOptions.set(key, options);
  }
  return options;
}

/**
 * The BullMQ add of a submission (its data is `submission.data`), under its own job id;
 * `priority` replaces the request's (a fair tag).
 */
export function submissionQueueAdd(
  submission: Submission,
  priority: number = submission.priority,
): SubmissionAdd {
  return {
    name: 'prompt',
    fixed: fixedOptionsOf(submission.lane, submission.attempts),
    jobId: submission.data.jobId,
    priority,
  };
}

/** The options `queue.add` takes for an add. */
export function addOptionsOf(
  add: Pick<SubmissionAdd, 'fixed' | 'jobId' | 'priority'>,
): JobsOptions & { jobId: string; priority: number } {
  // Not `{ ...fixed, jobId, priority }`: on this Node (V8 11.3) adding a property to an object
  // made by a spread takes ~1–5 µs, a new hidden class each time.
  return Object.assign({}, add.fixed, { jobId: add.jobId, priority: add.priority });
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
  const add = submissionQueueAdd(submission, priority);
  await laneQueue(queues, submission.lane).add(add.name, submission.data, addOptionsOf(add));
}
