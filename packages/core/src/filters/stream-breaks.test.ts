import { cleanBreakBefore, MAX_BACK } from './stream-breaks';

/**
 * Where a scan may start in a tool call's arguments, around JSON escapes: the detectors read
 * an escape's letters as backslashes (`json-escapes.ts`), so a scan starting between the `\`
 * and its letter would read `n4111…` and miss the card the whole text's scan finds.
 */
describe('cleanBreakBefore around JSON escapes', () => {
  const card = '4111 1111 1111 1111';

  it('never breaks right after a backslash; breaks after the whole escape', () => {
    for (const sequence of ['\\n', '\\t', '\\r', '\\b', '\\f', '\\u00e9', '\\\\n']) {
      const tail = `{"a":"x${sequence}${card}`;
      const afterEscape = tail.indexOf(card);
      expect({ escape: sequence, at: cleanBreakBefore(tail, 0, tail.length, true) }).toEqual({
        escape: sequence,
        at: afterEscape,
      });
    }
  });

  it('still breaks after an escaped quote, not after an escaped backslash', () => {
    expect(cleanBreakBefore('{"a":"x\\"yz', 0, 11, true)).toBe(9);
    expect(cleanBreakBefore('{"a":"x\\\\yz', 0, 11, true)).toBe(6);
  });

  it('moves a scan found no break for off the inside of an escape', () => {
    // No break for MAX_BACK characters: the scan starts MAX_BACK back, here inside `\u00e9`.
    const head = 'A'.repeat(400);
    const tail = `${head}\\u00e9${'B'.repeat(MAX_BACK - 3)}`;
    const at = tail.length;
    expect(at - MAX_BACK).toBe(head.length + 3);
    expect(cleanBreakBefore(tail, 0, at, false)).toBe(head.length);
    // In arguments, the escape's end is a break.
    expect(cleanBreakBefore(tail, 0, at, true)).toBe(head.length + 6);
    // Between a backslash and its letter too.
    const newline = `${head}\\n${'B'.repeat(MAX_BACK - 1)}`;
    expect(cleanBreakBefore(newline, 0, newline.length, false)).toBe(head.length);
  });
});
