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
    const socket = net.connect({ host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
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

function hasRedisServer() {
  return spawnSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts redis-server on `port` and waits until it answers.
 * @param {{port: number, dir: string, appendOnly: boolean}} options
 * @returns {Promise<{url: string, stop: () => Promise<void>, pid: number}>}
 */
async function startRedisServer({ port, dir, appendOnly }) {
  fs.mkdirSync(dir, { recursive: true });
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', path.resolve(dir),
    '--save', '',
    '--appendonly', appendOnly ? 'yes' : 'no',
    '--maxmemory-policy', 'noeviction',
    '--logfile', path.resolve(dir, 'redis.log'),
  ];
  const child = spawn('redis-server', args, { stdio: 'ignore', detached: false });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}; see ${dir}/redis.log`);
    if (await pingRedis(url, 300)) {
      return {
        url,
        pid: child.pid,
        stop: () =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on port ${port} within 10 s`);
}

module.exports = { pingRedis, freePort, hasRedisServer, startRedisServer };
