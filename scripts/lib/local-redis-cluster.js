// Starts a throwaway Redis Cluster of three masters on loopback (Debian's redis-server in
// cluster mode, slots assigned with redis-cli --cluster create), for the cluster end-to-end run
// and the chaos suite. Every node lives in its own folder under `dir`; stop() ends them all.
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { freePort, pingRedis } = require('./local-redis.js');

function clusterStateOk(port) {
  const result = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], {
    encoding: 'utf8',
  });
  return result.status === 0 && /cluster_state:ok/.test(result.stdout);
}

/**
 * @param {{dir: string, masters?: number}} options
 * @returns {Promise<{url: string, ports: number[], stop: () => Promise<void>}>}
 *   `url` is `redis-cluster://127.0.0.1:<first port>`: one seed node, the client finds the rest.
 */
async function startRedisCluster({ dir, masters = 3 }) {
  const ports = [];
  for (let index = 0; index < masters; index += 1) {
    let port = await freePort();
    // The cluster bus listens on port + 10000: it must fit and be free too.
    while (port > 55_000 || ports.includes(port)) port = await freePort();
    ports.push(port);
  }
  const children = ports.map((port) => {
    const nodeDir = path.resolve(dir, String(port));
    fs.mkdirSync(nodeDir, { recursive: true });
    return spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        nodeDir,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '5000',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxmemory-policy',
        'noeviction',
        '--logfile',
        path.resolve(nodeDir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
  });
  const stop = () =>
    Promise.all(
      children.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGKILL');
          }),
      ),
    ).then(() => fs.rmSync(dir, { recursive: true, force: true }));
  try {
    for (const port of ports) {
      const deadline = Date.now() + 10_000;
      while (!(await pingRedis(`redis://127.0.0.1:${port}`, 300))) {
        if (Date.now() > deadline) throw new Error(`cluster node ${port} did not answer`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((port) => `127.0.0.1:${port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    const deadline = Date.now() + 20_000;
    while (!ports.every(clusterStateOk)) {
      if (Date.now() > deadline) throw new Error('the cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis-cluster://127.0.0.1:${ports[0]}`, ports, stop };
}

module.exports = { startRedisCluster };
