module.exports = async () => {
  const server = globalThis.__llmqRedis;
  if (server) {
    globalThis.__llmqRedis = undefined;
    await server.stop();
  }
};
