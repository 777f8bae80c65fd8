import { spawnService } from '@llmq/testing';

describe('configuration is parsed once at start', () => {
  it.each([
    ['api', { PORT: 'eighty', REDIS_URL: 'redis://127.0.0.1:6379' }, 'PORT'],
    ['api', { LLMQ_PREFIX: 'has spaces' }, 'LLMQ_PREFIX'],
    ['api', { NODE_ENV: 'production' }, 'API_KEYS'],
    ['api', { API_REFERENCE_OPEN: 'yes' }, 'API_REFERENCE_OPEN'],
    ['worker', { WORKER_CONCURRENCY: '0' }, 'WORKER_CONCURRENCY'],
    ['worker', { REDIS_URL: 'not a url' }, 'REDIS_URL'],
  ] as const)('the %s exits 1 naming the bad variable (%j)', async (app, env, variable) => {
    const service = spawnService(app, { ...env });
    const exitCode = await service.exited;
    expect(exitCode).toBe(1);
    expect(service.output()).toContain(variable);
  });
});
