import { setFlagsFromString } from 'node:v8';

/**
 * V8's garbage-collector settings for a worker, applied by the worker itself as its first
 * import (so they hold however it is started: `npm start`, the image, `node
 * apps/worker/dist/main.js`, the benchmarks). Neither caps the heap; both trade a little GC
 * time for memory (figures in docs/performance.md, "Levers"):
 * - **Old space grows by half, not up to four times.** After a full GC V8 lets the old space
 *   grow to a multiple of what survived before it collects again; under a worker's allocation
 *   rate that multiple reaches ~4, so 100 concurrent jobs with a ~45 MB live heap held ~150 MB
 *   of old space, most of it garbage. At 1.5 (`--heap-growing-percent=50`) the heap still grows
 *   to whatever the live data needs, with more, shorter full GCs.
 * - **The young generation does not grow while the worker loads.** Loading keeps most of what
 *   it allocates, which grows the young generation to its maximum (two 16 MB semi-spaces) that an
 *   idle worker then holds; held at its start size until {@link releaseStartupHeap}, it grows
 *   under load as V8 sees fit.
 * A flag given to node itself (`node --heap-growing-percent=100 …`) wins over these. Node
 * refuses both flags in `NODE_OPTIONS`, so its command line (`process.execArgv`) is the only
 * place to look. The young generation's most (`--max-semi-space-size`) is fixed before any
 * code runs, so it is given on node's command line instead (`node-arguments.ts`).
 */
const heapGrowingPercent = 50;

/** V8's default semi-space growth factor, restored once the worker has started. */
const defaultSemiSpaceGrowthFactor = 2;

function givenToNode(flag: string, execArgv: readonly string[]): boolean {
  const spellings = [flag, flag.replace(/-/g, '_')].map((name) => `--${name}`);
  return execArgv.some((argument) =>
    spellings.some((spelling) => argument === spelling || argument.startsWith(`${spelling}=`)),
  );
}

/** The V8 flags {@link tuneWorkerHeap} sets now, and the one {@link releaseStartupHeap} sets later. */
export function workerHeapFlags(execArgv: readonly string[] = process.execArgv): {
  atStart: string[];
  afterStart: string[];
} {
  const holdsYoungGeneration = !givenToNode('semi-space-growth-factor', execArgv);
  return {
    atStart: [
      ...(givenToNode('heap-growing-percent', execArgv)
        ? []
        : [`--heap-growing-percent=${heapGrowingPercent}`]),
      ...(holdsYoungGeneration ? ['--semi-space-growth-factor=1'] : []),
    ],
    afterStart: holdsYoungGeneration
      ? [`--semi-space-growth-factor=${defaultSemiSpaceGrowthFactor}`]
      : [],
  };
}

const flags = workerHeapFlags();
for (const flag of flags.atStart) setFlagsFromString(flag);

/** Lets the young generation grow again: call once the worker has started. */
export function releaseStartupHeap(): void {
  for (const flag of flags.afterStart) setFlagsFromString(flag);
}
