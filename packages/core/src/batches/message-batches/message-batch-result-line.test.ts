import type { GenerateResult } from '../../providers/language-model';
import {
  completedBatchLine,
  failedBatchLine,
  outputLimitBatchLine,
  skippedBatchLine,
  toAnthropicMessageBody,
} from '../batch-output-line';
import { toMessageBatchResultLine } from './message-batch-result-line';

// The stored lines are made by the same functions the worker writes them with.

const answer: GenerateResult = {
  content: [
    { type: 'reasoning', text: 'Paris, then.', signature: 'sig-1' },
    { type: 'text', text: 'Checking.' },
    {
      type: 'tool-call',
      toolCallId: 'toolu_1',
      toolName: 'get_weather',
      arguments: '{"city":"Paris"}',
    },
  ],
  text: 'Checking.',
  finishReason: 'tool_calls',
  usage: {
    inputTokens: 30,
    outputTokens: 12,
    cachedInputTokens: 10,
    totalTokens: 42,
    reasoningTokens: 4,
  },
  responseModel: 'claude-upstream',
};

test('an answered line is `succeeded` with the message the anthropic-messages writer made', () => {
  const message = toAnthropicMessageBody(answer, { id: 'msg_b-0', model: 'sim-claude-fast' });
  const result = toMessageBatchResultLine(completedBatchLine('q-1', 'b-0', message));
  expect(result).toEqual({ custom_id: 'q-1', result: { type: 'succeeded', message } });
  expect(message).toMatchObject({
    id: 'msg_b-0',
    type: 'message',
    role: 'assistant',
    model: 'sim-claude-fast',
    stop_reason: 'tool_use',
    stop_sequence: null,
    content: [
      { type: 'thinking', thinking: 'Paris, then.', signature: 'sig-1' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ],
    usage: { input_tokens: 20, cache_read_input_tokens: 10, output_tokens: 12 },
  });
});

const messages = { endpoint: '/v1/messages' } as const;

test("a failed line is `errored` with Anthropic's error type: from the provider status, else the failure code", () => {
  const refused = failedBatchLine(
    'q-2',
    'b-1',
    {
      code: 'provider_bad_request',
      message: 'max_tokens is too large',
      status_code: 400,
      request_id: 'req_upstream',
    },
    messages,
  );
  expect(toMessageBatchResultLine(refused)).toEqual({
    custom_id: 'q-2',
    result: {
      type: 'errored',
      error: {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'max_tokens is too large' },
        request_id: 'req_upstream',
      },
    },
  });
  const overloaded = failedBatchLine(
    'q-3',
    'b-2',
    {
      code: 'provider_overloaded',
      message: 'overloaded',
      status_code: 529,
    },
    messages,
  );
  expect(toMessageBatchResultLine(overloaded).result).toMatchObject({
    error: { error: { type: 'overloaded_error' }, request_id: 'b-2' },
  });
  // A request fault a compatible endpoint answers with a 400 of its own: an HTTP answer too.
  const unsupported = failedBatchLine(
    'q-5',
    'b-5',
    { code: 'unsupported_parameter', message: 'no seed here' },
    messages,
  );
  expect(toMessageBatchResultLine(unsupported).result).toEqual({
    type: 'errored',
    error: {
      type: 'error',
      error: { type: 'invalid_request_error', message: 'no seed here' },
      request_id: 'b-5',
    },
  });
  const noStatus = [
    ['provider_timeout', 'timeout_error'],
    ['circuit_open', 'api_error'],
    ['worker_lost', 'api_error'],
  ] as const;
  for (const [code, type] of noStatus) {
    const line = failedBatchLine('q-4', 'b-3', { code, message: `failed: ${code}` }, messages);
    expect([code, toMessageBatchResultLine(line).result]).toEqual([
      code,
      {
        type: 'errored',
        error: { type: 'error', error: { type, message: `failed: ${code}` }, request_id: null },
      },
    ]);
  }
});

test("an output limit over the model's most is `errored` in Anthropic's words, with the line's request id", () => {
  const refusal = { requested: 100_000, most: 64_000, model: 'sim-claude-fast' };
  const stored = outputLimitBatchLine('q-7', 'b-7', refusal, { endpoint: '/v1/messages' });
  expect(toMessageBatchResultLine(stored)).toEqual({
    custom_id: 'q-7',
    result: {
      type: 'errored',
      error: {
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message:
            'max_tokens: 100000 > 64000, which is the maximum allowed number of output tokens for sim-claude-fast',
        },
        request_id: 'b-7',
      },
    },
  });
});

test('a line skipped by a cancel is `canceled`, by the deadline `expired`', () => {
  expect(toMessageBatchResultLine(skippedBatchLine('q-5', 'cancelled'))).toEqual({
    custom_id: 'q-5',
    result: { type: 'canceled' },
  });
  expect(toMessageBatchResultLine(skippedBatchLine('q-6', 'expired'))).toEqual({
    custom_id: 'q-6',
    result: { type: 'expired' },
  });
});

test('a request its failed batch never answered is errored as api_error, never canceled', () => {
  expect(toMessageBatchResultLine(skippedBatchLine('q-9', 'failed'))).toEqual({
    custom_id: 'q-9',
    result: {
      type: 'errored',
      error: {
        type: 'error',
        error: {
          type: 'api_error',
          message: 'the batch failed before this request was answered',
        },
        request_id: null,
      },
    },
  });
});
