import { parseTestEnv } from './env';

describe('parseTestEnv', () => {
  it('keeps every default when nothing is set', () => {
    const env = parseTestEnv({});
    expect(env).toMatchObject({
      PATH: '',
      CHAOS_FULL: false,
      CHAOS_JOBS: 200,
      CHAOS_SUBMIT_JOBS: 3000,
      CHAOS_SOAK_MINUTES: 10,
      E2E_RATE_LIMIT_JOBS: 2000,
      E2E_BATCH_LINES: 20_000,
      E2E_DEPLOYMENT_JOBS: 400,
      HOSTILE_DEBUG: false,
    });
    expect(env.REDIS_URL).toBeUndefined();
    expect(env.CHAOS_REPORT).toBeUndefined();
    expect(Number.isInteger(env.FC_SEED)).toBe(true);
  });

  it('reads the knobs a run sets', () => {
    const env = parseTestEnv({
      REDIS_URL: 'redis://127.0.0.1:6390',
      LLMQ_TEST_REDIS_CLUSTER_URL: 'redis-cluster://127.0.0.1:7000',
      CHAOS_FULL: '1',
      CHAOS_JOBS: '1000',
      CHAOS_SOAK_MINUTES: '0.5',
      CHAOS_REPORT: 'bench/results/chaos.json',
      HOSTILE_DEBUG: 'yes',
      FC_SEED: '42',
    });
    expect(env).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6390',
      LLMQ_TEST_REDIS_CLUSTER_URL: 'redis-cluster://127.0.0.1:7000',
      CHAOS_FULL: true,
      CHAOS_JOBS: 1000,
      CHAOS_SOAK_MINUTES: 0.5,
      CHAOS_REPORT: 'bench/results/chaos.json',
      HOSTILE_DEBUG: true,
      FC_SEED: 42,
    });
  });

  it('names every bad variable instead of running a test of NaN jobs', () => {
    const attempt = () =>
      parseTestEnv({ CHAOS_JOBS: 'many', E2E_BATCH_LINES: '0', CHAOS_FULL: 'yes', FC_SEED: '1.5' });
    expect(attempt).toThrow(/^invalid test environment: /);
    for (const name of ['CHAOS_JOBS', 'E2E_BATCH_LINES', 'CHAOS_FULL', 'FC_SEED'])
      expect(attempt).toThrow(new RegExp(`\\b${name}: `));
  });
});
