import { StreamAnswer } from './stream-answer';

describe('StreamAnswer', () => {
  it('assembles reasoning with its signature, text and tool calls in the order they came', () => {
    const answer = new StreamAnswer();
    answer.add({ type: 'reasoning-delta', delta: 'let me ' });
    answer.add({ type: 'reasoning-delta', delta: 'think' });
    answer.add({ type: 'reasoning-signature', signature: 'sig' });
    answer.add({ type: 'text-delta', delta: 'Checking ' });
    answer.add({ type: 'text-delta', delta: 'both.' });
    answer.add({ type: 'tool-call-start', index: 0, toolCallId: 'a', toolName: 'one' });
    answer.add({ type: 'tool-call-start', index: 1, toolCallId: 'b', toolName: 'two' });
    answer.add({ type: 'tool-call-delta', index: 0, argumentsDelta: '{"x":' });
    answer.add({ type: 'tool-call-delta', index: 1, argumentsDelta: '{"y":2}' });
    answer.add({ type: 'tool-call-delta', index: 0, argumentsDelta: '1}' });
    expect(answer.content()).toEqual([
      { type: 'reasoning', text: 'let me think', signature: 'sig' },
      { type: 'text', text: 'Checking both.' },
      { type: 'tool-call', toolCallId: 'a', toolName: 'one', arguments: '{"x":1}' },
      { type: 'tool-call', toolCallId: 'b', toolName: 'two', arguments: '{"y":2}' },
    ]);
  });

  it('keeps redacted reasoning whole, and gives a call with no argument deltas {}', () => {
    const answer = new StreamAnswer();
    answer.add({ type: 'reasoning-redacted', data: 'opaque' });
    answer.add({ type: 'tool-call-start', index: 0, toolCallId: 'a', toolName: 'now' });
    expect(answer.content()).toEqual([
      { type: 'reasoning', text: '', redactedData: 'opaque' },
      { type: 'tool-call', toolCallId: 'a', toolName: 'now', arguments: '{}' },
    ]);
  });

  it("joins the text deltas' token logprobs into one list, and has none when no delta carried any", () => {
    const token = (text: string) => ({ token: text, logprob: -0.5, topLogprobs: [] });
    const answer = new StreamAnswer();
    answer.add({ type: 'text-delta', delta: 'Hi', logprobs: [token('H'), token('i')] });
    answer.add({ type: 'tool-call-start', index: 0, toolCallId: 'a', toolName: 'f' });
    answer.add({ type: 'text-delta', delta: '', logprobs: [token('')] });
    answer.add({ type: 'text-delta', delta: '!', logprobs: [token('!')] });
    expect(answer.logprobs()?.map((entry) => entry.token)).toEqual(['H', 'i', '', '!']);
    expect(answer.content()).toEqual([
      { type: 'text', text: 'Hi' },
      { type: 'tool-call', toolCallId: 'a', toolName: 'f', arguments: '{}' },
      { type: 'text', text: '!' },
    ]);
    const plain = new StreamAnswer();
    plain.add({ type: 'text-delta', delta: 'x' });
    expect(plain.logprobs()).toBeUndefined();
  });
});
