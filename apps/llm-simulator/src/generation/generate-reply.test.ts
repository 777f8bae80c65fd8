import { countTokens } from 'gpt-tokenizer';
import { generateReply, type ReplyRequest } from './generate-reply';
import { groupReplyDeltas } from './group-reply-deltas';

const request = (overrides: Partial<ReplyRequest> = {}): ReplyRequest => ({
  seedMaterial: 'seed',
  lastUserText: 'Tell me something.',
  maxTokens: null,
  stopSequences: [],
  ...overrides,
});

describe('generateReply', () => {
  it('is a pure function of the request', () => {
    expect(generateReply(request())).toEqual(generateReply(request()));
    expect(generateReply(request({ seedMaterial: 'other' })).text).not.toBe(
      generateReply(request()).text,
    );
  });

  it('starts with [sim] and counts its tokens honestly, between 20 and ~120 tokens', () => {
    for (let index = 0; index < 200; index += 1) {
      const reply = generateReply(request({ seedMaterial: `seed ${index}` }));
      expect(reply.text.startsWith('[sim] ')).toBe(true);
      expect(reply.completionTokens).toBe(countTokens(reply.text));
      expect(reply.completionTokens).toBeGreaterThanOrEqual(20);
      expect(reply.completionTokens).toBeLessThanOrEqual(125);
      expect(reply.finish).toBe('complete');
      expect(reply.pieces.map((piece) => piece.text).join('')).toBe(reply.text);
    }
  });

  it('stops at maxTokens', () => {
    for (const maxTokens of [1, 2, 7, 19]) {
      const reply = generateReply(request({ maxTokens }));
      expect(reply.completionTokens).toBe(maxTokens);
      expect(reply.finish).toBe('max-tokens');
      expect(generateReply(request()).text.startsWith(reply.text)).toBe(true);
    }
  });

  it('echoes the text after echo:, truncated at maxTokens', () => {
    const text = 'The quick brown fox — jumps over 13 lazy dogs.';
    const echoed = generateReply(request({ lastUserText: `Repeat this. echo: ${text}` }));
    expect(echoed).toMatchObject({ text, completionTokens: countTokens(text), finish: 'complete' });
    expect(echoed.pieces.map((piece) => piece.text).join('')).toBe(text);

    const truncated = generateReply(request({ lastUserText: `echo: ${text}`, maxTokens: 3 }));
    expect(truncated).toMatchObject({
      text: 'The quick brown',
      completionTokens: 3,
      finish: 'max-tokens',
    });
  });

  it('ends at the earliest stop sequence', () => {
    const reply = generateReply(
      request({ lastUserText: 'echo: alpha beta gamma', stopSequences: ['gamma', ' beta'] }),
    );
    expect(reply).toMatchObject({ text: 'alpha', finish: 'stop-sequence', stopSequence: ' beta' });
    expect(reply.completionTokens).toBe(countTokens('alpha'));
  });

  it('groups pieces into deltas of a few tokens that join back into the text', () => {
    const reply = generateReply(request());
    const deltas = groupReplyDeltas(reply.pieces);
    expect(deltas.map((delta) => delta.text).join('')).toBe(reply.text);
    expect(deltas.reduce((sum, delta) => sum + delta.tokens, 0)).toBe(reply.completionTokens);
    expect(deltas.slice(0, -1).every((delta) => delta.tokens >= 4 && delta.tokens <= 8)).toBe(true);
  });
});
