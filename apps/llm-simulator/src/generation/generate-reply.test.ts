import { createHash } from 'node:crypto';
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

  it('draws the same replies as before the generator was made cheaper (session 18)', () => {
    expect(generateReply(request({ maxTokens: 32 })).text).toBe(
      '[sim] Queue will ocean method city team the mostly, our follows. Modern because on summary the, case for ocean. Process an reduces keeps on then around',
    );
    // 6,000 replies, each asked twice (the second time remembered), against a digest of what
    // the generator answered before it stopped drawing at maxTokens and remembered replies.
    const digest = createHash('sha256');
    for (let index = 0; index < 300; index += 1)
      for (const maxTokens of [null, 1, 7, 32, 64])
        for (const stopSequences of [[], ['e', ' the']])
          for (let time = 0; time < 2; time += 1) {
            const reply = generateReply(
              request({ seedMaterial: `seed ${index}`, maxTokens, stopSequences }),
            );
            digest.update(JSON.stringify(reply));
          }
    expect(digest.digest('hex')).toBe(
      'c29a4d4ea9d1c9ff0e009dac1e7a8a49b3a66316efbb19e303e531b4f06fc3f0',
    );
  });

  it('does not let a caller change a remembered reply', () => {
    const reply = generateReply(request({ seedMaterial: 'frozen' }));
    expect(() => {
      (reply as { text: string }).text = 'changed';
    }).toThrow(TypeError);
    expect(() => (reply.pieces as unknown as string[]).push('more')).toThrow(TypeError);
    expect(generateReply(request({ seedMaterial: 'frozen' })).text).not.toBe('changed');
  });

  it('groups pieces into deltas of a few tokens that join back into the text', () => {
    const reply = generateReply(request());
    const deltas = groupReplyDeltas(reply.pieces);
    expect(deltas.map((delta) => delta.text).join('')).toBe(reply.text);
    expect(deltas.reduce((sum, delta) => sum + delta.tokens, 0)).toBe(reply.completionTokens);
    expect(deltas.slice(0, -1).every((delta) => delta.tokens >= 4 && delta.tokens <= 8)).toBe(true);
  });
});
