// Finds a Redis that answers, or starts a private redis-server. Used by `npm start`
// (persistent, AOF on, data under .llmq/) and by the test setup (throwaway, free port).
const net = require('node:net');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

/** Resolves true when a Redis at `url` answers PING within `timeoutMs`. */
function pingRedis(url, timeoutMs = 1000) {
  return new Promise((resolve) => {
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const socket = net.connect({
      host: parsed.hostname || '127.0.0.1',
      port: Number(parsed.port || 6379),
    });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    // A peer that hangs up without an error (not Redis, a proxy) must not leave this pending.
    socket.on('close', () => done(false));
    socket.on('connect', () => {
      const password = decodeURIComponent(parsed.password || '');
      const user = decodeURIComponent(parsed.username || '');
      if (password) socket.write(user ? `AUTH ${user} ${password}\r\n` : `AUTH ${password}\r\n`);
      socket.write('PING\r\n');
    });
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      if (buffer.includes('+PONG')) done(true);
      else if (buffer.startsWith('-') && !buffer.startsWith('-NOAUTH')) done(false);
    });
  });
}

/** Resolves true when something accepts TCP connections on `host:port` (Redis or not). */
function isPortOpen(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => done(true));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

function hasRedisServer() {
  return hasCommand('redis-server');
}

/** True when redis-server can be installed without asking: root on Debian/Ubuntu (apt-get). */
function canInstallRedisServer() {
  return process.getuid?.() === 0 && hasCommand('apt-get');
}

/**
 * Runs `apt-get update && apt-get install -y redis-server`, output shown as it goes.
 * @returns {boolean} true when redis-server is installed afterwards
 */
function installRedisServer() {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'redis-server']]) {
    const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (result.status !== 0) return false;
  }
  return hasRedisServer();
}

/**
 * Starts redis-server on `port` and waits until it answers.
 * @param {{port: number, dir: string, appendOnly: boolean, password?: string, detached?: boolean}} options
 *   `detached` puts the server in its own process group, so a Ctrl-C in the terminal reaches only
 *   the parent, which can then stop its other children before Redis.
 * @returns {Promise<{url: string, stop: (timeoutMs?: number) => Promise<void>, pid: number}>}
 */
async function startRedisServer({ port, dir, appendOnly, password, detached = false }) {
  fs.mkdirSync(dir, { recursive: true });
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    path.resolve(dir),
    '--save',
    '',
    '--appendonly',
    appendOnly ? 'yes' : 'no',
    // As infra/redis.conf: with AOF on, a write is on disk before Redis answers it.
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
    // As infra/redis.conf: small stream nodes, so a job's one-entry event stream is ~1 KB, not ~5.
    '--stream-node-max-bytes',
    '512',
    '--logfile',
    path.resolve(dir, 'redis.log'),
  ];
  if (password) args.push('--requirepass', password);
  const child = spawn('redis-server', args, { stdio: 'ignore', detached });
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  const url = `redis://${auth}127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`redis-server exited with code ${child.exitCode}; see ${dir}/redis.log`);
    if (await pingRedis(url, 300)) {
      return {
        url,
        pid: child.pid,
        stop: (timeoutMs = 10_000) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            // A large AOF rewrite can make SIGTERM slow; never leave the caller hanging.
            const force = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
            child.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port} within 10 s`);
}

module.exports = {
  pingRedis,
  isPortOpen,
  freePort,
  hasRedisServer,
  canInstallRedisServer,
  installRedisServer,
  startRedisServer,
};
