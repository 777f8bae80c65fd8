import type { JobResult } from '@llmq/core';
import { contentStreamParts } from './dialect-answer-of-result';

/** A stored answer's usage with cache writes, 3 of its 8 written tokens for an hour. */
const usage = {
  input_tokens: 20,
  cached_input_tokens: 0,
  output_tokens: 2,
  total_tokens: 22,
  cache_write_input_tokens: 8,
  cache_write_1h_input_tokens: 3,
};

describe('contentStreamParts', () => {
  it('streams a finished answer again with its token logprobs on the first text delta', () => {
    const logprobs = [
      { token: 'Hi', logprob: -0.1, topLogprobs: [] },
      { token: '!', logprob: -0.2, topLogprobs: [] },
    ];
    const result: Partial<JobResult> = {
      text: 'Hi!',
      content: [
        { type: 'text', text: 'Hi' },
        { type: 'tool-call', toolCallId: 'c1', toolName: 'f', arguments: '{}' },
        { type: 'text', text: '!' },
      ],
      logprobs,
      usage,
      system_fingerprint: 'fp_1',
      service_tier: 'default',
    };
    expect(contentStreamParts(result as JobResult)).toEqual([
      {
        type: 'response-metadata',
        systemFingerprint: 'fp_1',
        serviceTier: 'default',
        cacheWrites: { inputTokens: 8, oneHourInputTokens: 3 },
      },
      { type: 'text-delta', delta: 'Hi', logprobs },
      { type: 'tool-call-start', index: 0, toolCallId: 'c1', toolName: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
      { type: 'text-delta', delta: '!' },
    ]);
    const { logprobs: _none, ...plain } = result;
    expect(contentStreamParts(plain as JobResult)[1]).toEqual({ type: 'text-delta', delta: 'Hi' });
  });

  it('streams an n > 1 result choice by choice, each ended by its choice-end', () => {
    const result: Partial<JobResult> = {
      text: 'A',
      content: [{ type: 'text', text: 'A' }],
      finish_reason: 'stop',
      other_choices: [{ content: [{ type: 'text', text: 'B' }], finishReason: 'length' }],
      usage: { input_tokens: 3, cached_input_tokens: 0, output_tokens: 2, total_tokens: 5 },
    };
    expect(contentStreamParts(result as JobResult)).toEqual([
      // A result that recorded no fingerprint, tier or cache writes opens with zero writes.
      { type: 'response-metadata', cacheWrites: { inputTokens: 0, oneHourInputTokens: 0 } },
      { type: 'text-delta', delta: 'A' },
      { type: 'choice-end', finishReason: 'stop' },
      { type: 'text-delta', delta: 'B', choice: 1 },
      { type: 'choice-end', finishReason: 'length', choice: 1 },
    ]);
  });
});
