import type { JobResult } from '@llmq/core';
import { contentStreamParts } from './dialect-answer-of-result';

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
    };
    expect(contentStreamParts(result as JobResult)).toEqual([
      { type: 'text-delta', delta: 'Hi', logprobs },
      { type: 'tool-call-start', index: 0, toolCallId: 'c1', toolName: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
      { type: 'text-delta', delta: '!' },
    ]);
    const { logprobs: _none, ...plain } = result;
    expect(contentStreamParts(plain as JobResult)[0]).toEqual({ type: 'text-delta', delta: 'Hi' });
  });

  it('streams an n > 1 result choice by choice, each ended by its choice-end', () => {
    const result: Partial<JobResult> = {
      text: 'A',
      content: [{ type: 'text', text: 'A' }],
      finish_reason: 'stop',
      other_choices: [{ content: [{ type: 'text', text: 'B' }], finishReason: 'length' }],
    };
    expect(contentStreamParts(result as JobResult)).toEqual([
      { type: 'text-delta', delta: 'A' },
      { type: 'choice-end', finishReason: 'stop' },
      { type: 'text-delta', delta: 'B', choice: 1 },
      { type: 'choice-end', finishReason: 'length', choice: 1 },
    ]);
  });
});
