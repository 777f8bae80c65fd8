import { startPrivateRedis } from './private-redis';

/** Timers holding the process open, by what Node reports as active. */
const timers = () =>
  process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;

describe('startPrivateRedis', () => {
  it('leaves no timer behind once started, restarted and destroyed', async () => {
    const before = timers();
    const server = await startPrivateRedis('off');
    await server.crash();
    await server.restart();
    await server.destroy();
    // Readiness probes that found no server yet must not leave a timer that keeps the test
    // process alive (Jest's "did not exit one second after the test run").
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
