export { startSimulator } from '@llmq/llm-simulator';
export { cleanupPrefix, testRedisUrl, uniquePrefix } from './test-redis';
