import { captureLines } from '@llmq/testing';
import { createLogger } from './logger';

describe('logger', () => {
  it('redacts what it writes, and never formats a line its level leaves out', () => {
    const captured = captureLines();
    const logger = createLogger({ service: 'probe', level: 'warn', stream: captured.stream });
    let reads = 0;
    // Redaction and JSON read every nested field: a read shows the line was formatted.
    const fields = () => ({
      detail: {
        get attempts() {
          reads += 1;
          return 2;
        },
      },
      api_key: 'sk-not-for-logs',
    });
    logger.info('job-end', { event: 'job-end', ...fields() });
    logger.debug('job-start', { event: 'job-start', ...fields() });
    expect(reads).toBe(0);
    expect(captured.lines).toEqual([]);

    logger.warn('job-slow', { event: 'job-slow', ...fields() });
    expect(reads).toBeGreaterThan(0);
    expect(captured.lines).toHaveLength(1);
    const line = JSON.parse(captured.lines[0] as string);
    expect(line).toMatchObject({
      event: 'job-slow',
      service: 'probe',
      detail: { attempts: 2 },
      api_key: '[redacted]',
    });
  });
});
