export { captureLines } from './capture-lines';
export { defined } from './defined';
export {
  ciHostileSizes,
  fullHostileSizes,
  type HostileRequest,
  type HostileSizes,
  hostileRequests,
} from './hostile-requests';
export {
  freePort,
  repositoryRoot,
  type ServiceProcess,
  spawnService,
  waitFor,
} from './service-process';
export { cleanupPrefix, testRedisUrl, uniquePrefix } from './test-redis';
