import { cleanBreakBefore, MAX_BACK } from './stream-breaks';

/**
 * Where a scan may start in a streamed text, around JSON escapes: the detectors read
 * an escape's letters as backslashes (`json-escapes.ts`), so a scan starting between the `\`
 * and its letter would read `n4111…` and miss the card the whole text's scan finds.
 */
describe('cleanBreakBefore around JSON escapes', () => {
  const card = '4111 1111 1111 1111';

  it('never breaks right after a backslash; breaks after the whole escape', () => {
    for (const sequence of ['\\n', '\\t', '\\r', '\\b', '\\f', '\\u00e9', '\\\\n']) {
      const tail = `{"a":"x${sequence}${card}`;
      const afterEscape = tail.indexOf(card);
      expect({ escape: sequence, at: cleanBreakBefore(tail, 0, tail.length) }).toEqual({
        escape: sequence,
        at: afterEscape,
      });
    }
  });

  it('still breaks after an escaped quote, not after an escaped backslash', () => {
    expect(cleanBreakBefore('{"a":"x\\"yz', 0, 11)).toBe(9);
    expect(cleanBreakBefore('{"a":"x\\\\yz', 0, 11)).toBe(6);
  });

  it('starts a scan after an escape the look-back reaches into, never inside it', () => {
    // No other break for MAX_BACK characters: the look-back ends inside `\u00e9` (or between
    // `\` and `n`); the escape's end is the break.
    const head = 'A'.repeat(400);
    const tail = `${head}\\u00e9${'B'.repeat(MAX_BACK - 3)}`;
    expect(tail.length - MAX_BACK).toBe(head.length + 3);
    expect(cleanBreakBefore(tail, 0, tail.length)).toBe(head.length + 6);
    const newline = `${head}\\n${'B'.repeat(MAX_BACK - 1)}`;
    expect(cleanBreakBefore(newline, 0, newline.length)).toBe(head.length + 2);
  });
});
