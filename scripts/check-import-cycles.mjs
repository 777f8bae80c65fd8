#!/usr/bin/env node
// `npm run check:cycles`: fails on any import cycle between files (in every workspace, tests
// included), and on any cycle between the folders of packages/core/src that is not one of the
// few allowed back edges below, each with its reason (docs/architecture.md explains them).
// `--verbose` lists every import that makes a folder edge of a cycle.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCircular, parseDependencyTree } from 'dpdm';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const verbose = process.argv.includes('--verbose');

/** Every TypeScript source and test file of the repository's workspaces. */
const sourceGlobs = [
  'packages/*/src/**/*.ts',
  'packages/*/test/**/*.ts',
  'apps/*/src/**/*.ts',
  'apps/*/test/**/*.ts',
  'test/**/*.ts',
];

/**
 * Folder edges of packages/core/src allowed although the target folder also reaches the source
 * (`from -> to`). Every other folder edge must keep the folder graph acyclic. Imports of type
 * names count like any other: a folder that needs another's types depends on it.
 */
const allowedFolderBackEdges = new Map([
  ['jobs -> batches', 'the job catalog names the batch job kinds and their data schemas'],
  [
    'jobs -> cache',
    'a job request carries its cache mode and cache options, whose schemas cache/ owns',
  ],
  [
    'jobs -> cost',
    'a job request carries prompt-optimisation options; the job store writes the ledger line in the script that stores the result; submit checks the budget',
  ],
  ['jobs -> filters', 'a job record and a submit answer carry the input filter findings'],
  [
    'jobs -> webhooks',
    'a job request carries its webhook, whose schema and URL guard webhooks/ owns',
  ],
]);

const coreSource = 'packages/core/src/';

/** The core folder of a non-test file under packages/core/src, or undefined. */
function coreFolderOf(file) {
  if (!file.startsWith(coreSource) || file.endsWith('.test.ts')) return undefined;
  const rest = file.slice(coreSource.length);
  const slash = rest.indexOf('/');
  return slash === -1 ? undefined : rest.slice(0, slash);
}

/** Folder edges `from -> to` of core (tests aside), each with the imports that make it. */
function coreFolderEdges(tree) {
  const edges = new Map();
  for (const [file, dependencies] of Object.entries(tree)) {
    const from = coreFolderOf(file);
    if (from === undefined || dependencies === null) continue;
    for (const dependency of dependencies) {
      const to = dependency.id === null ? undefined : coreFolderOf(dependency.id);
      if (to === undefined || to === from) continue;
      const key = `${from} -> ${to}`;
      if (!edges.has(key)) edges.set(key, []);
      edges.get(key).push(`${file} -> ${dependency.id}`);
    }
  }
  return edges;
}

/** Strongly connected components of more than one folder (Tarjan), over `edges`. */
function folderCycles(edgeKeys) {
  const next = new Map();
  for (const key of edgeKeys) {
    const [from, to] = key.split(' -> ');
    if (!next.has(from)) next.set(from, []);
    if (!next.has(to)) next.set(to, []);
    next.get(from).push(to);
  }
  let counter = 0;
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const components = [];
  const visit = (folder) => {
    index.set(folder, counter);
    low.set(folder, counter);
    counter += 1;
    stack.push(folder);
    onStack.add(folder);
    for (const target of next.get(folder)) {
      if (!index.has(target)) {
        visit(target);
        low.set(folder, Math.min(low.get(folder), low.get(target)));
      } else if (onStack.has(target)) {
        low.set(folder, Math.min(low.get(folder), index.get(target)));
      }
    }
    if (low.get(folder) === index.get(folder)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== folder);
      if (component.length > 1) components.push(component.sort());
    }
  };
  for (const folder of next.keys()) if (!index.has(folder)) visit(folder);
  return components;
}

/** Pairs of core folders that import each other directly. */
function mutualPairs(edges) {
  const pairs = [];
  for (const key of edges.keys()) {
    const [from, to] = key.split(' -> ');
    if (from < to && edges.has(`${to} -> ${from}`)) pairs.push(`${from} <-> ${to}`);
  }
  return pairs.sort();
}

const tree = await parseDependencyTree(sourceGlobs, {
  context: root,
  cwd: root,
  tsconfig: path.join(root, 'tsconfig.base.json'),
  exclude: /node_modules|\/dist\//,
  onProgress: () => {},
});
let failed = false;

const fileCycles = parseCircular(tree);
console.log(`file-level import cycles: ${fileCycles.length}`);
for (const cycle of fileCycles) console.log(`  ${[...cycle, cycle[0]].join(' -> ')}`);
if (fileCycles.length > 0) failed = true;

const edges = coreFolderEdges(tree);
const pairs = mutualPairs(edges);
console.log(`core folder pairs that import each other (tests aside): ${pairs.length}`);
for (const pair of pairs) console.log(`  ${pair}`);

const unexplained = [...edges.keys()].filter((key) => !allowedFolderBackEdges.has(key));
const cycles = folderCycles(unexplained);
console.log(`core folder cycles without an allowed back edge: ${cycles.length}`);
for (const cycle of cycles) {
  console.log(`  ${cycle.join(', ')}`);
  if (verbose) {
    for (const key of unexplained) {
      const [from, to] = key.split(' -> ');
      if (cycle.includes(from) && cycle.includes(to)) {
        for (const edge of edges.get(key)) console.log(`      ${edge}`);
      }
    }
  }
}
if (cycles.length > 0) failed = true;

for (const [key, reason] of allowedFolderBackEdges) {
  if (!edges.has(key)) {
    console.log(`allowed back edge ${key} no longer exists: remove it from the list`);
    failed = true;
  } else if (verbose) {
    console.log(`allowed: ${key} (${reason})`);
  }
}
process.exitCode = failed ? 1 : 0;
