// Gives every test run a Redis: REDIS_URL when it answers, the standard local port when it
// answers, otherwise a private redis-server on a free port (stopped in global-teardown).
// Tests never flush it: each one works under its own key prefix and removes what it made.
const os = require('node:os');
const path = require('node:path');
const {
  pingRedis,
  freePort,
  hasRedisServer,
  startRedisServer,
} = require('../scripts/lib/local-redis.js');
const { startRedisCluster } = require('../scripts/lib/local-redis-cluster.js');

module.exports = async () => {
  await setUpRedis();
  // LLMQ_TEST_REDIS_CLUSTER=1 (npm run test:cluster): the end-to-end systems run on a private
  // three-master Redis Cluster with a hash-tagged prefix; the single node stays for the rest.
  if (process.env.LLMQ_TEST_REDIS_CLUSTER === '1' && !process.env.LLMQ_TEST_REDIS_CLUSTER_URL) {
    const cluster = await startRedisCluster({
      dir: path.join(os.tmpdir(), `llmq-test-cluster-${process.pid}`),
    });
    globalThis.__llmqRedisCluster = cluster;
    process.env.LLMQ_TEST_REDIS_CLUSTER_URL = cluster.url;
  }
};

async function setUpRedis() {
  if (globalThis.__llmqRedis || process.env.LLMQ_TEST_REDIS_READY) return;
  const candidates = [process.env.REDIS_URL, 'redis://127.0.0.1:6379'].filter(Boolean);
  for (const url of candidates) {
    if (await pingRedis(url)) {
      process.env.REDIS_URL = url;
      process.env.LLMQ_TEST_REDIS_READY = '1';
      return;
    }
  }
  if (!hasRedisServer()) {
    throw new Error(
      'No Redis answers (REDIS_URL or 127.0.0.1:6379) and redis-server is not installed: apt-get install redis-server',
    );
  }
  const port = await freePort();
  const server = await startRedisServer({
    port,
    dir: path.join(os.tmpdir(), `llmq-test-redis-${port}`),
    appendOnly: false,
  });
  globalThis.__llmqRedis = server;
  process.env.REDIS_URL = server.url;
  process.env.LLMQ_TEST_REDIS_READY = '1';
}
