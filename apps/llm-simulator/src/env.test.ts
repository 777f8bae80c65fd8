import { parseEnvironment } from './env';

describe('parseEnvironment', () => {
  it('applies defaults', () => {
    expect(parseEnvironment({})).toEqual({ SIMULATOR_PORT: 4010, SIMULATOR_HOST: '127.0.0.1' });
    expect(parseEnvironment({ SIMULATOR_PORT: '' }).SIMULATOR_PORT).toBe(4010);
  });

  it('parses values and names the bad variable', () => {
    expect(
      parseEnvironment({ SIMULATOR_PORT: '0', SIMULATOR_CONFIG: '/tmp/sim.json' }),
    ).toMatchObject({
      SIMULATOR_PORT: 0,
      SIMULATOR_CONFIG: '/tmp/sim.json',
    });
    expect(() => parseEnvironment({ SIMULATOR_PORT: 'eighty' })).toThrow(/SIMULATOR_PORT/);
    expect(() => parseEnvironment({ SIMULATOR_PORT: '70000' })).toThrow(/SIMULATOR_PORT/);
  });
});
