import { z } from 'zod';
import {
  commonEnvShape,
  parseEnvironment,
  providerEnvShape,
  toProviderSettings,
} from './env-schema';

const schema = z.object({
  ...commonEnvShape,
  ...providerEnvShape,
  PORT: z.coerce.number().int().default(3000),
});

describe('parseEnvironment', () => {
  it('applies defaults so nothing needs setting against the simulator', () => {
    const env = parseEnvironment(schema, {});
    expect(env).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      LLMQ_PREFIX: 'llmq',
      PORT: 3000,
      JOB_ATTEMPTS: 3,
    });
    expect(toProviderSettings(env).openaiApiKey).toBeUndefined();
  });

  it('names every bad variable', () => {
    const attempt = () =>
      parseEnvironment(schema, { PORT: 'eighty', REDIS_URL: 'not a url', LLMQ_PREFIX: 'a b' });
    expect(attempt).toThrow(/invalid environment/);
    expect(attempt).toThrow(/PORT/);
    expect(attempt).toThrow(/REDIS_URL/);
    expect(attempt).toThrow(/LLMQ_PREFIX/);
  });

  it('treats blank keys as unset', () => {
    expect(parseEnvironment(schema, { OPENAI_API_KEY: '  ' }).OPENAI_API_KEY).toBeUndefined();
    expect(parseEnvironment(schema, { OPENAI_API_KEY: 'sk-1' }).OPENAI_API_KEY).toBe('sk-1');
  });
});
