// End-to-end flows through the built API and worker processes, Redis and the simulator, and
// structural checks of the deployment files in infra/ (no Docker engine in CI) and of the
// documentation's links (docs/).
const preset = require('../jest.preset.js')(__dirname);

module.exports = {
  ...preset,
  displayName: 'e2e',
  testMatch: [
    '<rootDir>/e2e/**/*.test.ts',
    '<rootDir>/infra/**/*.test.ts',
    '<rootDir>/docs/**/*.test.ts',
  ],
};
