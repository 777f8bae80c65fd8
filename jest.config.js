/** Runs every workspace's tests in one jest process (`npm test`). */
module.exports = {
  projects: ['<rootDir>/packages/core', '<rootDir>/apps/llm-simulator', '<rootDir>/apps/api', '<rootDir>/apps/worker'],
};
