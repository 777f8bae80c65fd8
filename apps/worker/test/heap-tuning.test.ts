import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * Runs `script` in a fresh node (given `nodeArguments`) that loaded the built heap-tuning module
 * first, as the worker's main does, and returns what it printed. V8 reads these flags when it
 * collects, so they are checked by their effect: a Node whose V8 ignored flags set at run time
 * would fail here.
 */
function probe<Printed>(script: string, nodeArguments: string[] = []): Printed {
  const tuning = path.resolve(__dirname, '../dist/heap-tuning.js');
  const source = `
    const v8 = require('node:v8');
    const tuning = require(${JSON.stringify(tuning)});
    const space = (name) => v8.getHeapSpaceStatistics().find((s) => s.space_name === name).space_size;
    ${script}
  `;
  return JSON.parse(
    execFileSync(process.execPath, [...nodeArguments, '-e', source], { encoding: 'utf8' }),
  );
}

/** Allocates like a worker loading its modules: most of what it allocates survives. */
const load = `
  const kept = [];
  const loadSome = () => { for (let i = 0; i < 200000; i++) kept.push({ i, text: 'kept ' + i }); };
`;

/** A live set plus garbage that lives a while, as 100 jobs in flight make: the largest old space. */
const drain = `
  const live = [];
  for (let i = 0; i < 300000; i++) live.push({ i, text: 'live ' + i });
  const ring = new Array(150000);
  let oldSpace = 0;
  for (let i = 0; i < 6000000; i++) {
    ring[i % ring.length] = { i, text: 'job ' + i };
    if (i % 50000 === 0) oldSpace = Math.max(oldSpace, space('old_space'));
  }
  process.stdout.write(JSON.stringify({ oldSpace }));
`;

describe('worker heap tuning', () => {
  it('sets both flags unless node was given them, and lets the young generation grow after start', () => {
    // In a child, as the rest: importing the module sets the flags in the process that imports it.
    const flags = probe<Record<string, unknown>>(`
      process.stdout.write(JSON.stringify({
        none: tuning.workerHeapFlags([]),
        given: tuning.workerHeapFlags(['--heap_growing_percent=100', '--semi-space-growth-factor=4']),
      }));
    `);
    expect(flags).toEqual({
      none: {
        atStart: ['--heap-growing-percent=50', '--semi-space-growth-factor=1'],
        afterStart: ['--semi-space-growth-factor=2'],
      },
      given: { atStart: [], afterStart: [] },
    });
  });

  it('keeps the young generation at its start size while loading, and lets it grow after', () => {
    const sizes = probe<{ loading: number; started: number }>(`${load}
      loadSome();
      const loading = space('new_space');
      tuning.releaseStartupHeap();
      loadSome(); loadSome();
      process.stdout.write(JSON.stringify({ loading, started: space('new_space') }));
    `);
    const untuned = probe<{ loading: number }>(
      `${load} loadSome(); process.stdout.write(JSON.stringify({ loading: space('new_space') }));`,
      ['--semi-space-growth-factor=2'],
    );
    expect(sizes.loading).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(untuned.loading).toBeGreaterThan(sizes.loading);
    expect(sizes.started).toBeGreaterThan(sizes.loading);
  });

  it('lets the old space grow to half again its live data, not several times it', () => {
    const tuned = probe<{ oldSpace: number }>(drain);
    const untuned = probe<{ oldSpace: number }>(drain, ['--heap-growing-percent=0']);
    expect(tuned.oldSpace).toBeLessThan(untuned.oldSpace * 0.8);
  });
});
