module.exports = async () => {
  const cluster = globalThis.__llmqRedisCluster;
  if (cluster) {
    globalThis.__llmqRedisCluster = undefined;
    await cluster.stop();
  }
  const server = globalThis.__llmqRedis;
  if (server) {
    globalThis.__llmqRedis = undefined;
    await server.stop();
  }
};
