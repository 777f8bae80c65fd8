import { Writable } from 'node:stream';
import { createLogger, scrubLogText } from './logger';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes the lines at or above its level, and those below once the level is lowered', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'api', level: 'info', stream });
    logger.http('http-request', { event: 'http-request' });
    logger.info('job-end', { event: 'job-end' });
    logger.level = 'http';
    logger.http('http-request', { event: 'http-request', status: 202 });
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['info', 'job-end'],
      ['http', 'http-request'],
    ]);
    expect(lines[1]).toMatchObject({ service: 'api', status: 202 });
  });

  it('answers level checks for the level it has at the time of asking', () => {
    const logger = createLogger({ service: 'worker', level: 'info', stream: capture().stream });
    expect([logger.isLevelEnabled('debug'), logger.isLevelEnabled('info')]).toEqual([false, true]);
    logger.level = 'debug';
    expect([logger.isLevelEnabled('debug'), logger.isLevelEnabled('info')]).toEqual([true, true]);
    logger.level = 'warn';
    expect([logger.isLevelEnabled('info'), logger.isLevelEnabled('warn')]).toEqual([false, true]);
    expect(logger.child({ job_id: 'job_a' }).isLevelEnabled('info')).toBe(false);
  });

  it('keeps a child logger’s own fields and redacts secrets', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'worker', level: 'info', stream });
    logger.child({ job_id: 'job_a' }).warn('job-retry', { api_key: 'sk-secret' });
    logger.child({ job_id: 'job_b' }).debug('job-start');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ job_id: 'job_a', service: 'worker', api_key: '[redacted]' });
  });

  it('omits prompt and answer text by field name, a plain string as well as a list', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'worker', level: 'info', stream });
    logger.warn('job-retry', {
      prompt: 'the quarterly figures of zebra holdings',
      messages: [{ role: 'user', content: 'hello' }],
      detail: { content: 'nested answer text', text: 'more text', input_tokens: 3 },
    });
    expect(lines[0]).toMatchObject({
      prompt: '[omitted]',
      messages: '[omitted]',
      detail: { content: '[omitted]', text: '[omitted]', input_tokens: 3 },
    });
  });

  it('scrubs a key and an address quoted in a JSON body right after an escape', () => {
    // A provider's error body, quoted in a message: the key follows an escaped new line.
    const body = JSON.stringify({
      error: 'bad key\nsk-proj-abcdefghijklmnopqrstuvwx',
      to: '\tjane@example.com',
    });
    expect(body).toContain('\\nsk-proj-');
    expect(JSON.parse(scrubLogText(body))).toEqual({
      error: 'bad key\n[redacted-secret]',
      to: '\t[redacted-email]',
    });
  });
});
