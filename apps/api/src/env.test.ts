import { apiReferenceOpen, loadApiEnv } from './env';

describe('API_REFERENCE_OPEN', () => {
  it('opens GET /docs outside production and closes it in production by default', () => {
    expect(apiReferenceOpen(loadApiEnv({}))).toBe(true);
    expect(apiReferenceOpen(loadApiEnv({ NODE_ENV: 'development' }))).toBe(true);
    expect(apiReferenceOpen(loadApiEnv({ NODE_ENV: 'production' }))).toBe(false);
  });

  it('overrides the default either way', () => {
    expect(
      apiReferenceOpen(loadApiEnv({ NODE_ENV: 'production', API_REFERENCE_OPEN: 'true' })),
    ).toBe(true);
    expect(apiReferenceOpen(loadApiEnv({ API_REFERENCE_OPEN: 'false' }))).toBe(false);
  });

  it('refuses another value, naming the variable', () => {
    expect(() => loadApiEnv({ API_REFERENCE_OPEN: 'yes' })).toThrow(/API_REFERENCE_OPEN/);
  });
});
