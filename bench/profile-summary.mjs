// Prints where a `--cpu-prof` profile spent its time: self time by function and by package.
// Usage: node bench/profile-summary.mjs bench/results/profiles/worker-….cpuprofile [top]
import fs from 'node:fs';

process.stdout.on('error', () => process.exit(0));
const [file, topArgument] = process.argv.slice(2);
const top = Number(topArgument ?? 25);
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map();
for (let index = 0; index < profile.samples.length; index += 1) {
  const id = profile.samples[index];
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
}
const total = [...selfMicros.values()].reduce((sum, value) => sum + value, 0);
const byFunction = new Map();
const byPackage = new Map();
for (const [id, micros] of selfMicros) {
  const { functionName, url, lineNumber } = byId.get(id).callFrame;
  const where = url
    .replace(/^.*node_modules\//, '')
    .replace(/^file:\/\/.*\/(apps|packages)\//, '$1/');
  const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
  const pkg = url.includes('node_modules/')
    ? url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')
    : url.startsWith('node:') || url === ''
      ? url || `(${functionName || 'native'})`
      : url.replace(/^file:\/\/.*\/(apps|packages)\/([^/]+).*$/, '$1/$2');
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
}
const show = (title, map, count) => {
  process.stdout.write(`\n${title} (total ${(total / 1e6).toFixed(1)} s sampled)\n`);
  for (const [key, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
    process.stdout.write(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${key}\n`);
  }
};
// Inclusive time of llmq's own functions (apps/, packages/): self plus everything they called.
const inclusive = new Map();
const totalOf = (node, onStack) => {
  let sum = selfMicros.get(node.id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const own = /\/(apps|packages)\/[^/]+\/dist\//.test(url) && !url.includes('node_modules');
  const key = own
    ? `${functionName || '(anonymous)'} ${url.replace(/^.*\/(apps|packages)\//, '$1/')}:${lineNumber + 1}`
    : undefined;
  const fresh = key !== undefined && !onStack.has(key);
  if (fresh) onStack.add(key);
  for (const child of node.children ?? []) sum += totalOf(byId.get(child), onStack);
  if (fresh) {
    onStack.delete(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + sum);
  }
  return sum;
};
totalOf(profile.nodes[0], new Set());
show('self time by package', byPackage, 15);
show("inclusive time of llmq's functions", inclusive, top);
show('self time by function', byFunction, top);
