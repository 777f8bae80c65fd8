import { OpenAIChatChunkWriter } from '../../dialects/openai-chat/openai-chat-chunk-writer';
import type { StreamPart } from '../language-model';
import { OpenAIChatStreamState } from './openai-chat-stream-state';

/** The content parts of a stream (these tests are not about its `response-metadata`). */
function contentOf(parts: StreamPart[]): StreamPart[] {
  return parts.filter((part) => part.type !== 'response-metadata');
}

describe('OpenAIChatStreamState', () => {
  it('reads back exactly the parts our chunk writer sent, reasoning_content included', () => {
    const parts: StreamPart[] = [
      {
        type: 'response-metadata',
        systemFingerprint: 'fp_1',
        serviceTier: 'default',
        cacheWrites: { inputTokens: 0, oneHourInputTokens: 0 },
      },
      { type: 'reasoning-delta', delta: 'Think.' },
      { type: 'text-delta', delta: 'Calling.' },
      { type: 'tool-call-start', index: 0, toolCallId: 'call_1', toolName: 'a' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{"x":' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '1}' },
      { type: 'tool-call-start', index: 1, toolCallId: 'call_2', toolName: 'b' },
    ];
    const usage = { inputTokens: 5, outputTokens: 7, cachedInputTokens: 0, totalTokens: 12 };
    const writer = new OpenAIChatChunkWriter({
      id: 'c1',
      model: 'm',
      created: 1,
      includeUsage: true,
    });
    const chunks = [
      ...parts,
      { type: 'finish', finishReason: 'tool_calls', usage, responseModel: 'm' } as StreamPart,
    ].flatMap((part) => writer.write(part));
    const state = new OpenAIChatStreamState();
    expect(chunks.flatMap((chunk) => state.accept(chunk))).toEqual(parts);
    expect(state.finishReason).toBe('tool_calls');
    expect(state.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 7 });
    expect(state.responseId).toBe('c1');
  });

  it('numbers tool calls in order of appearance whatever index the server gives', () => {
    const state = new OpenAIChatStreamState();
    const parts = state.accept({
      choices: [
        {
          delta: { tool_calls: [{ index: 3, id: 'x', function: { name: 'f', arguments: '{}' } }] },
        },
      ],
    });
    expect(contentOf(parts)).toEqual([
      { type: 'tool-call-start', index: 0, toolCallId: 'x', toolName: 'f' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}' },
    ]);
  });

  it("reads a chunk's logprobs onto its text delta, and a role chunk's null logprobs as none", () => {
    const state = new OpenAIChatStreamState();
    const entry = (token: string) => ({
      token,
      logprob: -0.1,
      bytes: [...Buffer.from(token)],
      top_logprobs: [{ token, logprob: -0.1, bytes: [] }],
    });
    expect(
      contentOf(
        state.accept({
          choices: [{ delta: { role: 'assistant', content: '' }, logprobs: null }],
        } as never),
      ),
    ).toEqual([]);
    expect(
      state.accept({
        choices: [{ delta: { content: 'ok' }, logprobs: { content: [entry('o'), entry('k')] } }],
      }),
    ).toEqual([
      {
        type: 'text-delta',
        delta: 'ok',
        logprobs: [
          { token: 'o', logprob: -0.1, topLogprobs: [{ token: 'o', logprob: -0.1 }] },
          { token: 'k', logprob: -0.1, topLogprobs: [{ token: 'k', logprob: -0.1 }] },
        ],
      },
    ]);
  });

  it('reads n interleaved choices back from our chunk writer, each with its parts and its end', () => {
    const parts: StreamPart[] = [
      { type: 'text-delta', delta: 'A' },
      { type: 'tool-call-start', index: 0, toolCallId: 'call_b', toolName: 'f', choice: 1 },
      { type: 'text-delta', delta: 'A2' },
      { type: 'tool-call-delta', index: 0, argumentsDelta: '{}', choice: 1 },
      { type: 'choice-end', finishReason: 'tool_calls', choice: 1 },
      { type: 'text-delta', delta: 'C', choice: 2 },
      { type: 'choice-end', finishReason: 'stop' },
      { type: 'choice-end', finishReason: 'length', choice: 2 },
    ];
    const usage = { inputTokens: 5, outputTokens: 9, cachedInputTokens: 0, totalTokens: 14 };
    const writer = new OpenAIChatChunkWriter({
      id: 'c',
      model: 'm',
      created: 1,
      includeUsage: true,
    });
    const finish: StreamPart = {
      type: 'finish',
      finishReason: 'stop',
      otherFinishReasons: ['tool_calls', 'length'],
      usage,
      responseModel: 'm',
    };
    const chunks = [...parts, finish].flatMap((part) => writer.write(part));
    // Every choice's first chunk carries the role; the finish chunks come one per choice, as
    // each choice ends.
    expect(chunks.filter((chunk) => chunk.choices[0]?.delta.role === 'assistant')).toHaveLength(3);
    expect(
      chunks.flatMap((chunk) =>
        chunk.choices.filter((choice) => choice.finish_reason).map((choice) => choice.index),
      ),
    ).toEqual([1, 0, 2]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: 9 } });
    const state = new OpenAIChatStreamState({ choices: 3 });
    expect(contentOf(chunks.flatMap((chunk) => state.accept(chunk)))).toEqual(parts);
    expect(state.end()).toEqual({
      finishReason: 'stop',
      otherFinishReasons: ['tool_calls', 'length'],
    });
  });

  it("ends each answer of an n > 1 stream as its finish reason arrives, after that chunk's content", () => {
    const state = new OpenAIChatStreamState({ choices: 2 });
    const chunk = (index: number, content: string | undefined, finish: string | null = null) => ({
      choices: [{ index, delta: content === undefined ? {} : { content }, finish_reason: finish }],
    });
    const parts = [
      chunk(0, ''),
      chunk(1, ''),
      chunk(0, 'A'),
      // A server may put the last text and the finish reason in one chunk.
      chunk(1, 'B', 'length'),
      chunk(0, 'a'),
      chunk(0, undefined, 'stop'),
      { choices: [], usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 } },
    ].flatMap((each) => state.accept(each));
    expect(contentOf(parts)).toEqual([
      { type: 'text-delta', delta: 'A' },
      { type: 'text-delta', delta: 'B', choice: 1 },
      { type: 'choice-end', finishReason: 'length', choice: 1 },
      { type: 'text-delta', delta: 'a' },
      { type: 'choice-end', finishReason: 'stop' },
    ]);
    // The stream's end repeats them.
    expect(state.end()).toEqual({ finishReason: 'stop', otherFinishReasons: ['length'] });
  });

  it('ends an answer once, with its first finish reason; a one-answer stream has no choice-end', () => {
    const state = new OpenAIChatStreamState({ choices: 2 });
    expect(
      contentOf(state.accept({ choices: [{ index: 1, delta: {}, finish_reason: 'stop' }] })),
    ).toEqual([{ type: 'choice-end', finishReason: 'stop', choice: 1 }]);
    expect(state.accept({ choices: [{ index: 1, delta: {}, finish_reason: 'length' }] })).toEqual(
      [],
    );
    state.accept({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    expect(state.end()).toEqual({ finishReason: 'stop', otherFinishReasons: ['stop'] });
    const single = new OpenAIChatStreamState({ choices: 1 });
    expect(
      contentOf(
        single.accept({ choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] }),
      ),
    ).toEqual([{ type: 'text-delta', delta: 'x' }]);
    expect(single.finishReason).toBe('stop');
  });

  it("says where the call runs from the first chunk, once, before that chunk's content", () => {
    const state = new OpenAIChatStreamState();
    const first = state.accept({
      system_fingerprint: 'fp_a',
      service_tier: 'priority',
      choices: [{ delta: { content: 'x' } }],
    });
    expect(first).toEqual([
      {
        type: 'response-metadata',
        systemFingerprint: 'fp_a',
        serviceTier: 'priority',
        cacheWrites: { inputTokens: 0, oneHourInputTokens: 0 },
      },
      { type: 'text-delta', delta: 'x' },
    ]);
    expect(
      state.accept({ system_fingerprint: 'fp_a', choices: [{ delta: { content: 'y' } }] }),
    ).toEqual([{ type: 'text-delta', delta: 'y' }]);
  });

  it('counts a stream as unfinished while any of its choices has no finish reason', () => {
    const state = new OpenAIChatStreamState();
    state.accept({ choices: [{ index: 0, delta: { content: 'a' }, finish_reason: 'stop' }] });
    state.accept({ choices: [{ index: 1, delta: { content: 'b' } }] });
    expect(state.finishReason).toBe('stop');
    expect(state.end()).toBeUndefined();
    state.accept({ choices: [{ index: 1, delta: {}, finish_reason: 'length' }] });
    expect(state.end()).toEqual({ finishReason: 'stop', otherFinishReasons: ['length'] });
  });
});
