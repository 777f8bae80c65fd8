// Shared by every workspace's jest.config.js. Tests import @llmq/core from source,
// so a stale dist never hides a change; end-to-end tests spawn the built apps.
const path = require('node:path');

/** @param {string} dirname the workspace folder */
module.exports = (dirname) => ({
  displayName: path.basename(dirname),
  rootDir: dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.base.json') }],
  },
  moduleNameMapper: {
    '^@llmq/core$': path.join(__dirname, 'packages/core/src/index.ts'),
    '^@llmq/runner$': path.join(__dirname, 'packages/runner/src/index.ts'),
    '^@llmq/client$': path.join(__dirname, 'packages/client/src/index.ts'),
    '^@llmq/testing$': path.join(__dirname, 'packages/testing/src/index.ts'),
    '^@llmq/tokenizer$': path.join(__dirname, 'packages/tokenizer/src/index.ts'),
    '^@llmq/llm-simulator$': path.join(__dirname, 'apps/llm-simulator/src/index.ts'),
  },
  globalSetup: path.join(__dirname, 'test/global-setup.js'),
  globalTeardown: path.join(__dirname, 'test/global-teardown.js'),
  testTimeout: 60_000,
});
