import { chatMessageSchema } from './chat-message';
import { textOf } from './text-of';

describe('textOf', () => {
  it('returns a string content as it is', () => {
    expect(textOf({ content: 'You are terse.' })).toBe('You are terse.');
  });

  it('joins text parts with a newline, never glued together', () => {
    const system = chatMessageSchema.parse({
      role: 'system',
      content: [
        { type: 'text', text: 'You are terse.' },
        { type: 'text', text: 'Be brief.' },
      ],
    });
    expect(textOf(system)).toBe('You are terse.\nBe brief.');
    expect(textOf(system, '\n\n')).toBe('You are terse.\n\nBe brief.');
  });

  it('reads the text of tool results and skips images', () => {
    expect(
      textOf({
        content: [
          { type: 'tool-result', toolCallId: 'c', content: [{ type: 'text', text: 'sunny' }] },
          { type: 'tool-result', toolCallId: 'd', content: 'windy' },
        ],
      }),
    ).toBe('sunny\nwindy');
  });
});

describe('chatMessageSchema', () => {
  it('keeps a string content valid and refuses a part in the wrong role', () => {
    expect(chatMessageSchema.parse({ role: 'user', content: 'hi' })).toEqual({
      role: 'user',
      content: 'hi',
    });
    expect(() =>
      chatMessageSchema.parse({
        role: 'user',
        content: [{ type: 'tool-call', toolCallId: 'c', toolName: 'f', arguments: '{}' }],
      }),
    ).toThrow();
    expect(() =>
      chatMessageSchema.parse({ role: 'user', content: 'hi', name: 'has space' }),
    ).toThrow();
  });
});
