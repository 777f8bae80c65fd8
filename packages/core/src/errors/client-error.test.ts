import {
  ClientError,
  clientErrorCodeSchema,
  clientErrorStatus,
  isClientError,
} from './client-error';

describe('ClientError', () => {
  it('takes its status from the one code → status table', () => {
    expect(new ClientError('budget_exceeded', 'spent').status).toBe(402);
    expect(new ClientError('job_not_found', 'no such job').status).toBe(404);
    expect(new ClientError('idempotency_key_reused', 'reused').status).toBe(422);
    expect(new ClientError('redis_unavailable', 'down').status).toBe(503);
  });

  it('gives every code a 4xx or 5xx status', () => {
    for (const code of clientErrorCodeSchema.options) {
      expect([code, clientErrorStatus[code] >= 400 && clientErrorStatus[code] < 600]).toEqual([
        code,
        true,
      ]);
    }
  });

  it('is identified by name, so it survives a copy across a boundary', () => {
    const error = new ClientError('invalid_hedge', 'bad hedge', { field: 'hedge' });
    expect(isClientError(error)).toBe(true);
    expect(isClientError(Object.assign(new Error('copied'), { name: 'ClientError' }))).toBe(true);
    expect(isClientError(new Error('other'))).toBe(false);
    expect(error.details).toEqual({ field: 'hedge' });
  });
});
