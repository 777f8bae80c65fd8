import { createRequire } from 'node:module';
import { Job, type JobJson, type JobsOptions, type Queue } from 'bullmq';

/** One of BullMQ's add scripts, as its package ships it (`dist/cjs/scripts`). */
interface BullmqScript {
  name: string;
  content: string;
  keys: number;
}

/** The BullMQ add scripts the accept script can run inside itself (see `submit-scripts.ts`). */
export type QueueAddKind = 'standard' | 'prioritized';

/** The Lua of BullMQ's standard and prioritized adds, or undefined when this BullMQ lacks them. */
export interface QueueAddScripts {
  standard: BullmqScript;
  prioritized: BullmqScript;
}

/**
 * A BullMQ add, ready to run inside another script: which add, its keys, and its arguments as
 * BullMQ's own `Queue.add` would send them, with the two it packs with msgpack (the add's
 * arguments and the job's options) as JSON instead, for the script to pack again
 * (`cmsgpack.pack(cjson.decode(...))`): a command of strings only. One with a binary argument
 * is copied argument by argument into one buffer by ioredis, which cost the API more than the
 * round trip this saves.
 */
export interface QueueAddCall {
  kind: QueueAddKind;
  keys: string[];
  /** The packed arguments as JSON, the job's data (JSON), the packed options as JSON. */
  args: [string, string, string];
  /** The job's `timestamp` (epoch ms), as the add stores it. */
  timestamp: number;
}

const commandKinds: Record<string, QueueAddKind> = {
  addStandardJob: 'standard',
  addPrioritizedJob: 'prioritized',
};

/**
 * The add scripts of the BullMQ this process loaded: the very strings its `RedisConnection`
 * defines as commands. Undefined when the package's layout changed (the submitter then
 * enqueues with `Queue.add`, in a second round trip).
 */
export const queueAddScripts: QueueAddScripts | undefined = loadAddScripts();

function loadAddScripts(): QueueAddScripts | undefined {
  try {
    const scripts = require('bullmq/dist/cjs/scripts') as Record<string, BullmqScript | undefined>;
    const standard = scripts.addStandardJob;
    const prioritized = scripts.addPrioritizedJob;
    if (typeof standard?.content !== 'string' || typeof prioritized?.content !== 'string') {
      return undefined;
    }
    return { standard, prioritized };
  } catch {
    return undefined;
  }
}

/** msgpackr as BullMQ resolves it: the library that packed what is decoded here. */
const { unpack } = createRequire(require.resolve('bullmq'))('msgpackr') as {
  unpack(packed: Buffer): unknown;
};

/** A stand-in Redis client that records the one command BullMQ's add would run. */
class CapturedCommand {
  name: string | undefined;
  args: Array<string | Buffer> = [];

  runCommand(name: string, args: Array<string | Buffer>): Promise<number> {
    this.name = name;
    this.args = args;
    return Promise.resolve(1);
  }
}

/** What BullMQ's own code built for one add, decoded. */
interface BuiltAdd {
  kind: QueueAddKind;
  keys: string[];
  /** The add's arguments, unpacked (an array for both adds). */
  addArguments: unknown[];
  data: string;
  /** The job's options as the add sends them (BullMQ's short names), unpacked. */
  options: Record<string, unknown>;
  /** The job's `timestamp`, as BullMQ set it. */
  timestamp: number;
}

/**
 * Runs `queue.add(name, data, options)`'s own code (`Queue.addJob`'s option merge,
 * `Job.create`'s validation, the backend's argument builder) against a client that records
 * the command instead of sending it. Undefined when the command is not one of
 * {@link queueAddScripts} or its shape is not the script's.
 */
async function buildAdd(
  queue: Queue,
  name: string,
  data: unknown,
  options: JobsOptions & { jobId: string },
): Promise<BuiltAdd | undefined> {
  if (!queueAddScripts) return undefined;
  const merged = { ...queue.jobsOpts, ...options, jobId: options.jobId };
  const job = new Job(queue, name, data, merged, options.jobId);
  const json = job.asJSON();
  (job as unknown as { validateOptions(json: JobJson): void }).validateOptions(json);
  const captured = new CapturedCommand();
  await queue.backend.addJobToTransaction(captured as never, json, options.jobId, {
    parentDependenciesKey: '',
  });
  const [command] = (captured.name ?? '').split(':');
  const kind = command === undefined ? undefined : commandKinds[command];
  if (!kind) return undefined;
  const script = queueAddScripts[kind];
  const [packedArguments, jobData, packedOptions] = captured.args.slice(script.keys);
  if (
    captured.args.length !== script.keys + 3 ||
    !Buffer.isBuffer(packedArguments) ||
    typeof jobData !== 'string' ||
    !Buffer.isBuffer(packedOptions)
  ) {
    return undefined;
  }
  const addArguments = unpack(packedArguments);
  const addOptions = unpack(packedOptions);
  if (!Array.isArray(addArguments) || typeof addOptions !== 'object' || addOptions === null) {
    return undefined;
  }
  return {
    kind,
    keys: captured.args.slice(0, script.keys).map(String),
    addArguments,
    data: jobData,
    options: addOptions as Record<string, unknown>,
    timestamp: job.timestamp,
  };
}

/**
 * An add of one queue with fixed options, where only the job id, the timestamp and the
 * priority change from job to job: where BullMQ put each of them, found by building two adds
 * with BullMQ's code and checked by rebuilding the second from the first.
 */
export interface AddTemplate {
  kind: QueueAddKind;
  keys: string[];
  addArguments: unknown[];
  jobIdAt: number;
  timestampAt: number;
  options: Record<string, unknown>;
  jobIdOption: string;
  priorityOption: string;
}

/** BullMQ's largest priority (2^21 - 1): a template is built at it and at one below. */
const largestPriority = 2_097_151;

function fromTemplate(
  template: AddTemplate,
  data: string,
  jobId: string,
  timestamp: number,
  priority: number,
): QueueAddCall {
  const addArguments = template.addArguments.slice();
  addArguments[template.jobIdAt] = jobId;
  addArguments[template.timestampAt] = timestamp;
  const options = {
    ...template.options,
    [template.jobIdOption]: jobId,
    [template.priorityOption]: priority,
  };
  return {
    kind: template.kind,
    keys: template.keys,
    args: [JSON.stringify(addArguments), data, JSON.stringify(options)],
    timestamp,
  };
}

function callOf(built: BuiltAdd): QueueAddCall {
  return {
    kind: built.kind,
    keys: built.keys,
    args: [JSON.stringify(built.addArguments), built.data, JSON.stringify(built.options)],
    timestamp: built.timestamp,
  };
}

async function buildTemplate(
  queue: Queue,
  name: string,
  options: Readonly<JobsOptions>,
): Promise<AddTemplate | undefined> {
  const sample = (jobId: string, priority: number) =>
    buildAdd(queue, name, {}, { ...options, jobId, priority });
  const first = await sample('job_template_first', largestPriority);
  const second = await sample('job_template_second', largestPriority - 1);
  if (!first || !second || first.kind !== second.kind) return undefined;
  const keyOf = (value: unknown) =>
    Object.keys(first.options).filter((key) => first.options[key] === value);
  const [jobIdOption, ...moreJobIds] = keyOf('job_template_first');
  const [priorityOption, ...morePriorities] = keyOf(largestPriority);
  const jobIdAt = first.addArguments.indexOf('job_template_first');
  const timestampAt = first.addArguments.indexOf(first.timestamp);
  // The accept script sets a fair tag's priority under this name (see submit-scripts.ts).
  if (
    !jobIdOption ||
    priorityOption !== 'priority' ||
    moreJobIds.length + morePriorities.length > 0
  ) {
    return undefined;
  }
  if (jobIdAt < 0 || timestampAt < 0 || jobIdAt === timestampAt) return undefined;
  const template: AddTemplate = {
    kind: first.kind,
    keys: first.keys,
    addArguments: first.addArguments,
    jobIdAt,
    timestampAt,
    options: first.options,
    jobIdOption,
    priorityOption,
  };
  const rebuilt = fromTemplate(
    template,
    second.data,
    'job_template_second',
    second.timestamp,
    largestPriority - 1,
  );
  const expected = callOf(second);
  const same =
    rebuilt.kind === expected.kind &&
    rebuilt.keys.join('\n') === expected.keys.join('\n') &&
    rebuilt.args.every((arg, index) => arg === expected.args[index]);
  return same ? template : undefined;
}

const templates = new WeakMap<Queue, Map<string, Promise<AddTemplate | undefined>>>();

/**
 * A frozen options object's JSON (its nested values are constants too): a caller that keeps
 * one object per set of options serialises it once, not on every submit (~1.6 µs).
 */
const frozenOptionsJson = new WeakMap<object, string>();

function optionsJson(options: Readonly<JobsOptions>): string {
  if (!Object.isFrozen(options)) return JSON.stringify(options);
  let json = frozenOptionsJson.get(options);
  if (json === undefined) {
    json = JSON.stringify(options);
    frozenOptionsJson.set(options, json);
  }
  return json;
}

/**
 * The checked template of `queue`'s add of a job named `name` with `options` (no job id or
 * priority), built on first use; undefined when BullMQ's adds do not follow one.
 */
export function queueAddTemplate(
  queue: Queue,
  name: string,
  options: Readonly<JobsOptions>,
): Promise<AddTemplate | undefined> {
  let byOptions = templates.get(queue);
  if (!byOptions) {
    byOptions = new Map();
    templates.set(queue, byOptions);
  }
  const key = `${name}\n${optionsJson(options)}`;
  let template = byOptions.get(key);
  if (!template) {
    // A BullMQ that refuses the samples leaves no template: every add is then built whole.
    template = buildTemplate(queue, name, options).catch(() => undefined);
    byOptions.set(key, template);
  }
  return template;
}

/**
 * The add `queue.add(name, data, { ...fixed, jobId, priority })` would run, as a
 * {@link QueueAddCall}: built from a template of the queue's add with the `fixed` options,
 * itself built and checked with BullMQ's own code on first use. Undefined when BullMQ's add
 * cannot run inside another script (no template holds, or a priority outside BullMQ's range,
 * which `queue.add` refuses): the caller then adds the job with `queue.add`. Pass one frozen
 * `fixed` object per set of options (as `submissionQueueAdd` does): it is serialised once.
 */
export async function queueAddCall(
  queue: Queue,
  name: string,
  data: unknown,
  fixed: Readonly<JobsOptions>,
  { jobId, priority }: { jobId: string; priority: number },
): Promise<QueueAddCall | undefined> {
  if (!queueAddScripts) return undefined;
  if (!Number.isInteger(priority) || priority < 1 || priority > largestPriority) return undefined;
  const template = await queueAddTemplate(queue, name, fixed);
  return template && fromTemplate(template, JSON.stringify(data), jobId, Date.now(), priority);
}
