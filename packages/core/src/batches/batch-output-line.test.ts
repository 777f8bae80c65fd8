import { failedBatchLine } from './batch-output-line';

test('a call that failed with an HTTP status is written as OpenAI writes it: the answer in `response`, `error` null', () => {
  const line = JSON.parse(
    failedBatchLine('c-1', 'b-1', {
      code: 'provider_rate_limited',
      message: 'slow down',
      status_code: 429,
      request_id: 'req_upstream',
    }),
  );
  expect(line).toEqual({
    id: expect.stringMatching(/^batch_req_/),
    custom_id: 'c-1',
    response: {
      status_code: 429,
      request_id: 'req_upstream',
      body: {
        error: {
          message: 'slow down',
          type: 'rate_limit_error',
          param: null,
          code: 'provider_rate_limited',
        },
      },
    },
    error: null,
  });
});

test('a request fault without a provider status has the status the sync endpoint answers it with', () => {
  const line = JSON.parse(
    failedBatchLine('c-2', 'b-2', { code: 'unsupported_parameter', message: 'no seed' }),
  );
  expect(line.response).toEqual({
    status_code: 400,
    request_id: 'b-2',
    body: {
      error: {
        message: 'no seed',
        type: 'invalid_request_error',
        param: null,
        code: 'unsupported_parameter',
      },
    },
  });
  expect(line.error).toBeNull();
});

test('a failure with no HTTP answer keeps `error` and has no `response`', () => {
  for (const code of ['provider_connection_error', 'worker_lost', 'circuit_open'] as const) {
    const line = JSON.parse(failedBatchLine('c-3', 'b-3', { code, message: `failed: ${code}` }));
    expect([code, line.response, line.error]).toEqual([
      code,
      null,
      { code, message: `failed: ${code}` },
    ]);
  }
});

test("a Message Batch's line holds Anthropic's error body for the status", () => {
  const line = JSON.parse(
    failedBatchLine(
      'q-1',
      'b-4',
      { code: 'provider_overloaded', message: 'busy', status_code: 529 },
      { endpoint: '/v1/messages' },
    ),
  );
  expect(line.response.body).toEqual({
    type: 'error',
    error: { type: 'overloaded_error', message: 'busy' },
  });
  expect(line.error).toBeNull();
});
