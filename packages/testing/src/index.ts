export { captureLines } from './capture-lines';
export { defined } from './defined';
export { parseTestEnv, type TestEnv, testEnv, testEnvSchema } from './env';
export {
  ciHostileSizes,
  fullHostileSizes,
  type HostileRequest,
  type HostileSizes,
  hostileRequests,
} from './hostile-requests';
export { type PrivateRedis, startPrivateRedis } from './private-redis';
export {
  type RecordedRequest,
  type RecordingServer,
  startRecordingServer,
} from './recording-server';
export {
  freePort,
  repositoryRoot,
  type ServiceProcess,
  spawnService,
  waitFor,
} from './service-process';
export { cleanupPrefix, testRedisUrl, uniquePrefix } from './test-redis';
