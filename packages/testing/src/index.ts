export { startSimulator } from '@llmq/llm-simulator';
export {
  freePort,
  repositoryRoot,
  type ServiceProcess,
  spawnService,
  waitFor,
} from './service-process';
export { cleanupPrefix, testRedisUrl, uniquePrefix } from './test-redis';
