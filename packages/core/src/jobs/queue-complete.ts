import { createRequire } from 'node:module';
import { type Job, Worker } from 'bullmq';

/** BullMQ's `moveToFinished` script, as its package ships it (`dist/cjs/scripts`). */
interface BullmqScript {
  name: string;
  content: string;
  keys: number;
}

/** The keys `moveToFinished` takes and the arguments it reads (ARGV[9] is a failure's). */
const finishKeyCount = 14;
const finishArgumentCount = 8;

/** BullMQ's own decoding of a fetched job (`raw2NextJobData`, its backend module's export). */
const nextJobData = loadNextJobData();

function loadNextJobData(): ((raw: unknown[]) => never) | undefined {
  try {
    const backend = require('bullmq/dist/cjs/classes/redis-queue-backend') as {
      raw2NextJobData?: (raw: unknown[]) => never;
    };
    return typeof backend.raw2NextJobData === 'function' ? backend.raw2NextJobData : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The Lua of BullMQ's `moveToFinished` (a job's completion, the next job's fetch with it), the
 * very string its `RedisConnection` defines as a command; undefined when the package's layout
 * changed (a job then completes in BullMQ with BullMQ's own call, a second round trip).
 */
export const queueFinishScript: BullmqScript | undefined = loadFinishScript();

function loadFinishScript(): BullmqScript | undefined {
  try {
    const scripts = require('bullmq/dist/cjs/scripts') as Record<string, BullmqScript | undefined>;
    const script = scripts.moveToFinished;
    if (typeof script?.content !== 'string' || script.keys !== finishKeyCount) return undefined;
    return nextJobData ? script : undefined;
  } catch {
    return undefined;
  }
}

/** msgpackr as BullMQ resolves it: the library that packed what is decoded here. */
const { unpack } = createRequire(require.resolve('bullmq'))('msgpackr') as {
  unpack(packed: Buffer): unknown;
};

/**
 * A job's completion in BullMQ, ready to run inside another script: `moveToFinished`'s keys and
 * arguments as BullMQ's own `Job.moveToCompleted` builds them for a processor that resolved
 * with nothing, its packed options (ARGV[8]) as JSON for the script to pack again
 * (`cmsgpack.pack(cjson.decode(...))`): a command of strings only (see `queue-add.ts`).
 */
export interface QueueCompletionCall {
  keys: string[];
  args: string[];
  /** `finishedOn`, as the job hash gets it. */
  timestamp: number;
}

/** The worker's state BullMQ reads to decide whether a completion fetches the next job. */
interface WorkerInternals {
  closing?: unknown;
  concurrency: number;
  isPaused(): boolean;
  mainLoopQueue?: { numTotal(): number };
}

/** What BullMQ's `Job` keeps to itself and `moveToCompleted` uses. */
interface JobInternals {
  backend?: {
    moveToCompletedArgs?(
      job: Job,
      returnValue: string | undefined,
      removeOnComplete: unknown,
      token: string,
      fetchNext: boolean,
    ): unknown[];
  };
  recordJobMetrics?(state: string): void;
}

/**
 * Whether BullMQ would fetch the next job with this one's completion: its worker loop asks
 * `moveToCompleted` to when the worker is neither closing nor paused and runs no more jobs than
 * its concurrency (`Worker.processJob`'s `fetchNextCallback`). Undefined when the job is not a
 * worker's, or the worker's loop is not laid out as this BullMQ's.
 */
function fetchesNext(job: Job): boolean | undefined {
  const worker = (job as unknown as { queue: unknown }).queue;
  if (!(worker instanceof Worker)) return undefined;
  const internals = worker as unknown as WorkerInternals;
  const running = internals.mainLoopQueue;
  if (typeof running?.numTotal !== 'function') return undefined;
  return !internals.closing && !internals.isPaused() && running.numTotal() <= internals.concurrency;
}

/**
 * The `moveToFinished` BullMQ's worker would run for `job` (held with `token`) once its
 * processor resolved with nothing, built by BullMQ's own argument builder. Undefined when this
 * BullMQ's script, builder or worker is not the one this was written against: the caller then
 * leaves the completion to BullMQ.
 */
export function queueCompletionCall(job: Job, token: string): QueueCompletionCall | undefined {
  if (!queueFinishScript || job.id === undefined) return undefined;
  const fetchNext = fetchesNext(job);
  const builder = (job as unknown as JobInternals).backend;
  if (fetchNext === undefined || typeof builder?.moveToCompletedArgs !== 'function') {
    return undefined;
  }
  // What `moveToCompleted` sends for a processor's `undefined`: JSON.stringify(undefined).
  const built = builder.moveToCompletedArgs(
    job,
    undefined,
    job.opts.removeOnComplete,
    token,
    fetchNext,
  );
  const keys = built.slice(0, finishKeyCount);
  const args = built.slice(finishKeyCount);
  const [jobId, timestamp, field, value, target, , prefix, packed, fields] = args;
  if (
    keys.some((key) => typeof key !== 'string') ||
    jobId !== job.id ||
    typeof timestamp !== 'number' ||
    field !== 'returnvalue' ||
    value !== 'null' ||
    target !== 'completed' ||
    typeof prefix !== 'string' ||
    !Buffer.isBuffer(packed) ||
    fields !== undefined ||
    args.length > finishArgumentCount + 1
  ) {
    return undefined;
  }
  const options = unpack(packed);
  if (typeof options !== 'object' || options === null) return undefined;
  return {
    keys: keys as string[],
    args: [...args.slice(0, 7).map(String), JSON.stringify(options)],
    timestamp,
  };
}

/**
 * Settles `job` in BullMQ's worker after a script ran its completion (`moved`: what
 * `moveToFinished` returned). Its worker calls `job.moveToCompleted` when the processor
 * resolves; that call now only does the local half of BullMQ's own (the job's `returnvalue`,
 * `finishedOn`, `attemptsMade` and metrics) and hands back the next job the script fetched, so
 * BullMQ emits `completed` and takes that job as if its own call had run. False when the script
 * did not complete the job (a lock lost, the job no longer active): BullMQ's own call then runs
 * and meets the same refusal as before.
 */
export function settleQueueCompletion(
  job: Job,
  call: QueueCompletionCall,
  moved: unknown,
): boolean {
  if (typeof moved === 'number' && moved < 0) return false;
  const internals = job as unknown as JobInternals;
  job.moveToCompleted = async (returnValue) => {
    job.returnvalue = returnValue || undefined;
    job.finishedOn = call.timestamp;
    job.attemptsMade += 1;
    internals.recordJobMetrics?.('completed');
    return Array.isArray(moved) && nextJobData ? nextJobData(moved) : undefined;
  };
  return true;
}
