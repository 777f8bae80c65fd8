// What the side-by-side probes (bench/side-by-side*.mjs) share: built trees named on the
// command line, and a process's CPU read from /proc.
import fs from 'node:fs';
import path from 'node:path';

/** A `TAG=TREE` argument as `{ tag, tree }`, the tree a built one (apps/worker/dist/main.js). */
export function treeArgument(argument) {
  const [tag, tree] = argument.split('=');
  if (!tag || !tree || !fs.existsSync(path.join(tree, 'apps/worker/dist/main.js'))) {
    throw new Error(`${argument}: expected TAG=TREE, a built tree (apps/worker/dist/main.js)`);
  }
  return { tag, tree: path.resolve(tree) };
}

/**
 * A `--env TAG=NAME=value[,NAME=value]` argument as `[tag, { NAME: value }]`: variables one
 * tag's processes start with, over the probe's own (a setting measured against the same tree
 * without it).
 */
export function envArgument(text) {
  const [tag, list] = (text ?? '').split(/=(.*)/s);
  const env = {};
  for (const pair of (list ?? '').split(',')) {
    const [name, value] = pair.split(/=(.*)/s);
    if (!tag || !/^[A-Z_][A-Z0-9_]*$/.test(name) || value === undefined) {
      throw new Error(`--env ${text}: expected TAG=NAME=value[,NAME=value]`);
    }
    env[name] = value;
  }
  return [tag, env];
}

/** Throws when a per-tag option names a tag no `TAG=TREE` gave. */
export function checkTags(trees, option, tags) {
  const known = new Set(trees.map((item) => item.tag));
  for (const tag of tags) {
    if (!known.has(tag)) throw new Error(`${option} ${tag}=…: no tree has the tag ${tag}`);
  }
}

/** Run time of every thread of a process so far, ms (schedstat's first field is ns). */
export function threadCpuMs(pid) {
  let ns = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return ns / 1e6;
}

/**
 * The order the trees are driven in a round: rotated by one each round, and reversed every
 * other full rotation, so no tree always follows the same one.
 */
export function roundOrder(trees, round) {
  const shift = round % trees.length;
  const order = [...trees.slice(shift), ...trees.slice(0, shift)];
  return Math.floor(round / trees.length) % 2 === 1 ? order.reverse() : order;
}

/** Sets `options[name]` from a `--name value` pair; throws naming the options when it is not one. */
export function setNumberOption(options, argument, text) {
  const name = argument.slice(2);
  const value = Number(text);
  if (!(name in options) || !Number.isFinite(value) || value < 0) {
    const names = Object.keys(options).map((known) => `--${known}`);
    throw new Error(`${argument}: expected one of ${names.join(', ')} and a number`);
  }
  options[name] = value;
}
