// Runs the apps as child processes: output prefixed per service, last lines kept for errors,
// stopped with SIGTERM and a deadline.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const KEPT_LINES = 40;
const COLORS = { sim: 35, api: 36, worker: 33, llmq: 32 };

/** `[api] ` in the service's colour when the terminal shows colours. */
export function prefixFor(name) {
  const { env } = process;
  const useColor = process.stdout.isTTY && !env.NO_COLOR;
  const code = COLORS[name] ?? 37;
  return useColor ? `\x1b[${code}m[${name}]\x1b[0m ` : `[${name}] `;
}

/**
 * Starts `node <script>` as service `name`.
 *
 * The child gets its own process group (`detached`): a Ctrl-C in the terminal then reaches only
 * start.mjs, which stops the services in order (API and worker before the simulator they call,
 * Redis last) instead of every process dying at once.
 *
 * @param {{name: string, script: string, env: NodeJS.ProcessEnv, cwd: string, nodeArguments?: string[]}} options
 *   `nodeArguments` go to node before the script (e.g. `--max-old-space-size=128`).
 */
export function startService({ name, script, env, cwd, nodeArguments = [] }) {
  const child = spawn(process.execPath, ['--enable-source-maps', ...nodeArguments, script], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const prefix = prefixFor(name);
  const lastLines = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      lastLines.push(line);
      if (lastLines.length > KEPT_LINES) lastLines.shift();
      const target = stream === child.stderr ? process.stderr : process.stdout;
      target.write(`${prefix}${line}\n`);
    });
  }

  /** @type {Promise<{code: number | null, signal: NodeJS.Signals | null}>} */
  const exited = new Promise((resolve) => {
    // 'close' (not 'exit') so the last lines are read before anyone reports them.
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      lastLines.push(String(error));
      resolve({ code: 1, signal: null });
    });
  });
  let running = true;
  exited.then(() => {
    running = false;
  });

  return {
    name,
    exited,
    isRunning: () => running,
    /** The last lines the service printed, for error messages. */
    lastLines: () => [...lastLines],
    /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the process is gone. */
    async stop(timeoutMs) {
      if (!running) return;
      signalGroup(child.pid, 'SIGTERM');
      const force = setTimeout(() => {
        process.stderr.write(`${prefix}did not stop within ${timeoutMs / 1000} s; killing it\n`);
        signalGroup(child.pid, 'SIGKILL');
      }, timeoutMs);
      await exited;
      clearTimeout(force);
    },
    /** Immediate SIGKILL, for a second Ctrl-C or a crash of start.mjs itself. */
    kill() {
      if (running) signalGroup(child.pid, 'SIGKILL');
    },
  };
}

function signalGroup(pid, signal) {
  try {
    // A negative pid signals the whole group, so anything the app forked goes too.
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
