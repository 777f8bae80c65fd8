import { z } from 'zod';
import { parseEnvironment } from '../config/env-schema';
import { cacheEnvShape } from './cache-env';

const parse = (environment: Record<string, string | undefined>) =>
  parseEnvironment(z.object(cacheEnvShape), environment);

describe('cacheEnvShape', () => {
  it('leaves the semantic cache off unless a provider/model is named', () => {
    expect(parse({}).SEMANTIC_CACHE_MODEL).toBeUndefined();
    expect(parse({ SEMANTIC_CACHE_MODEL: '' }).SEMANTIC_CACHE_MODEL).toBeUndefined();
    expect(parse({ SEMANTIC_CACHE_MODEL: 'local/BAAI/bge-small' }).SEMANTIC_CACHE_MODEL).toEqual({
      id: 'local/BAAI/bge-small',
      provider: 'local',
      model: 'BAAI/bge-small',
    });
    expect(() => parse({ SEMANTIC_CACHE_MODEL: 'sim-embed-small' })).toThrow(
      /SEMANTIC_CACHE_MODEL: expected <provider>\/<model>/,
    );
  });

  it('defaults the threshold to 0.95 and refuses one out of range', () => {
    expect(parse({})).toMatchObject({
      SEMANTIC_CACHE_THRESHOLD: 0.95,
      SEMANTIC_CACHE_MULTI_TURN: false,
    });
    expect(() => parse({ SEMANTIC_CACHE_THRESHOLD: '1.5' })).toThrow(/SEMANTIC_CACHE_THRESHOLD/);
  });
});
