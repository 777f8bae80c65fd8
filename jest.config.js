/** Runs every workspace's tests in one jest process (`npm test`). */
module.exports = {
  // Global options are read here only, not from the projects.
  testTimeout: 60_000,
  projects: [
    '<rootDir>/packages/tokenizer',
    '<rootDir>/packages/core',
    '<rootDir>/packages/runner',
    '<rootDir>/packages/client',
    '<rootDir>/packages/testing',
    '<rootDir>/apps/llm-simulator',
    '<rootDir>/apps/api',
    '<rootDir>/apps/worker',
    '<rootDir>/test',
  ],
};
