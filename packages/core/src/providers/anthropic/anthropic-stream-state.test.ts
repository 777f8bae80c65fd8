import type Anthropic from '@anthropic-ai/sdk';
import { AnthropicEventWriter } from '../../dialects/anthropic-messages/anthropic-event-writer';
import type { StreamPart } from '../language-model';
import { AnthropicStreamState } from './anthropic-stream-state';
import { convertAnthropicMessage } from './convert-anthropic-message';

const usage = { inputTokens: 50, outputTokens: 9, cachedInputTokens: 0, totalTokens: 59 };

describe('AnthropicStreamState', () => {
  it('reads back exactly the parts our event writer sent (thinking, signature, redacted, text, tools)', () => {
    const parts: StreamPart[] = [
      { type: 'response-metadata', cacheWrites: { inputTokens: 30, oneHourInputTokens: 10 } },
      { type: 'reasoning-delta', delta: 'Plan.' },
      { type: 'reasoning-signature', signature: 'sig' },
      { type: 'reasoning-redacted', data: 'enc' },
      { type: 'text-delta', delta: 'Calling.' },
      { type: 'tool-call-start', index: 0, toolCallId: 'toolu_1', toolName: 'a' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"x":1}' },
      { type: 'tool-call-start', index: 1, toolCallId: 'toolu_2', toolName: 'b' },
      { type: 'tool-call-delta', index: 1, argumentsDelta: '{}' },
    ];
    const writer = new AnthropicEventWriter({ id: 'msg_1', model: 'c', inputTokens: 50 });
    const events = [
      ...parts,
      {
        type: 'finish',
        finishReason: 'stop',
        stopSequence: 'END',
        usage,
        responseModel: 'c',
      } as StreamPart,
    ].flatMap((part) => writer.write(part));
    const state = new AnthropicStreamState();
    const read = events.flatMap((event) => state.accept(event));
    expect(read).toEqual(parts);
    expect(state).toMatchObject({
      stopped: true,
      finishReason: 'stop',
      stopSequence: 'END',
      responseId: 'msg_1',
      usage: { input_tokens: 50, output_tokens: 9 },
    });
  });
});

describe('convertAnthropicMessage', () => {
  it('keeps thinking with its signature, redacted thinking and tool_use input as JSON text', () => {
    const message = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'c',
      content: [
        { type: 'thinking', thinking: 'Plan.', signature: 'sig' },
        { type: 'redacted_thinking', data: 'enc' },
        { type: 'tool_use', id: 'toolu_1', name: 'a', input: { x: 1 }, caller: { type: 'direct' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: {
        input_tokens: 10,
        output_tokens: 5,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 20,
        output_tokens_details: { thinking_tokens: 3 },
      },
    } as unknown as Anthropic.Message;
    expect(convertAnthropicMessage(message, { provider: 'p', modelId: 'c' })).toEqual({
      content: [
        { type: 'reasoning', text: 'Plan.', signature: 'sig' },
        { type: 'reasoning', text: '', redactedData: 'enc' },
        { type: 'tool-call', toolCallId: 'toolu_1', toolName: 'a', arguments: '{"x":1}' },
      ],
      text: '',
      finishReason: 'tool_calls',
      usage: {
        inputTokens: 30,
        outputTokens: 5,
        cachedInputTokens: 0,
        cacheWriteInputTokens: 20,
        reasoningTokens: 3,
        totalTokens: 35,
      },
      responseModel: 'c',
      responseId: 'msg_1',
    });
  });

  it('reports the matched stop sequence', () => {
    const message = {
      id: 'msg_2',
      model: 'c',
      content: [{ type: 'text', text: 'one two' }],
      stop_reason: 'stop_sequence',
      stop_sequence: 'three',
      usage: { input_tokens: 1, output_tokens: 2 },
    } as unknown as Anthropic.Message;
    expect(convertAnthropicMessage(message, { provider: 'p', modelId: 'c' })).toMatchObject({
      finishReason: 'stop',
      stopSequence: 'three',
      text: 'one two',
    });
  });
});
