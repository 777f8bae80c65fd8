export { captureLines } from './capture-lines';
export { defined } from './defined';
export {
  freePort,
  repositoryRoot,
  type ServiceProcess,
  spawnService,
  waitFor,
} from './service-process';
export { cleanupPrefix, testRedisUrl, uniquePrefix } from './test-redis';
