import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitFor } from './service-process';

/** A redis-server of a test's own (a chaos scenario's, say): its port, its folder, killed and restarted at will. */
export interface PrivateRedis {
  url: string;
  port: number;
  /** SIGKILLs the server, as a crash or an OOM kill would: no AOF flush on the way out. */
  crash(): Promise<void>;
  /** Starts it again on the same port and folder; resolves once it answers (AOF loaded). */
  restart(): Promise<void>;
  /** Stops it for good and removes its folder. */
  destroy(): Promise<void>;
}

/**
 * Starts a private redis-server with AOF on and the given `appendfsync` policy (`off`: no AOF),
 * on a free port and in a temp folder. Never the shared Redis: tests kill, restart and reset
 * this one.
 */
export async function startPrivateRedis(
  appendfsync: 'always' | 'everysec' | 'off',
): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `llmq-chaos-redis-${port}-`));
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
        ...['--save', ''],
        ...(appendfsync === 'off'
          ? ['--appendonly', 'no']
          : ['--appendonly', 'yes', '--appendfsync', appendfsync]),
        ...['--maxmemory-policy', 'noeviction', '--logfile', path.join(dir, 'redis.log')],
      ],
      { stdio: 'ignore' },
    );
    const started = child;
    await waitFor(
      async () => {
        if (started.exitCode !== null) throw new Error(`redis-server exited; see ${dir}/redis.log`);
        const probe = new Redis(url, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG' ? true : undefined;
        } catch {
          return undefined;
        } finally {
          // A probe that found no server has ended already; disconnecting it anyway arms
          // ioredis' 2 s timer to destroy a socket that never closes again, which kept the
          // test process alive after its run. A probe that did connect arms the same timer
          // until its socket's close, so the probe is waited for: a caller that kills the
          // server right after start finds no timer of the probe's left behind.
          if (probe.status !== 'end') await disconnected(probe);
        }
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `redis-server on ${port}` },
    );
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await launch();
  return {
    url,
    port,
    crash: kill,
    restart: launch,
    async destroy() {
      await kill();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Disconnects an ioredis client and resolves once it has ended (its socket closed). */
function disconnected(client: Redis): Promise<void> {
  return new Promise((resolve) => {
    client.once('end', () => resolve());
    client.disconnect();
  });
}
