import { loadCliEnv } from './env';

describe('loadCliEnv', () => {
  it('defaults to the local API and no key', () => {
    expect(loadCliEnv({})).toEqual({ url: 'http://127.0.0.1:3000', apiKey: undefined });
  });

  it('reads LLMQ_URL and LLMQ_API_KEY', () => {
    expect(loadCliEnv({ LLMQ_URL: 'https://llmq.example.com/', LLMQ_API_KEY: 'key-1' })).toEqual({
      url: 'https://llmq.example.com/',
      apiKey: 'key-1',
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadCliEnv({ LLMQ_URL: '', LLMQ_API_KEY: '' })).toEqual({
      url: 'http://127.0.0.1:3000',
      apiKey: undefined,
    });
  });

  it('refuses a URL that is not http(s), naming the variable', () => {
    expect(() => loadCliEnv({ LLMQ_URL: '127.0.0.1:3000' })).toThrow(
      /^invalid environment: LLMQ_URL: /,
    );
    expect(() => loadCliEnv({ LLMQ_URL: 'ftp://llmq.example.com' })).toThrow(/LLMQ_URL/);
  });
});
