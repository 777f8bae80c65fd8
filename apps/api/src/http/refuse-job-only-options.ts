import { ClientError } from '@llmq/core';

/**
 * The sync endpoints answer once, so a `POST /v1/jobs` option that makes a job answer twice
 * (`speculative`: an initial answer, then an upgrade) is refused by name with a 400
 * `unsupported_parameter`, rather than as an unknown field or, worse, silently.
 */
export function refuseJobOnlyOptions(body: unknown, endpoint: string): void {
  if (body === null || typeof body !== 'object' || !('speculative' in body)) return;
  throw new ClientError(
    'unsupported_parameter',
    `"speculative" is not supported on ${endpoint}: it answers once. Submit the request to POST /v1/jobs, whose result carries the initial answer and then the upgrade`,
    { issues: [{ path: 'speculative', message: 'only supported on POST /v1/jobs' }] },
  );
}
