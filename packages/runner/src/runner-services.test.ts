import { createLogger } from '@llmq/core';
import { testRedisUrl, uniquePrefix } from '@llmq/testing';
import { z } from 'zod';
import { runnerEnvShape } from './runner-env';
import { createRunnerServices } from './runner-services';

const env = z
  .object(runnerEnvShape)
  .parse({ REDIS_URL: testRedisUrl(), LLMQ_PREFIX: uniquePrefix('test-runner-services') });
const logger = createLogger({ service: 'runner-test', level: 'error' });

describe("the runner's Redis connection", () => {
  it("is named for its host in CLIENT LIST (the API's runs apart from the workers')", async () => {
    const services = createRunnerServices(env, logger, () => ({}), {
      connectionName: 'llmq-api-runner',
    });
    try {
      await expect(services.connection.client('GETNAME')).resolves.toBe('llmq-api-runner');
    } finally {
      await services.connection.quit();
    }
  });

  it("is a worker's by default", async () => {
    const services = createRunnerServices(env, logger, () => ({}));
    try {
      await expect(services.connection.client('GETNAME')).resolves.toBe('llmq-worker');
    } finally {
      await services.connection.quit();
    }
  });
});
