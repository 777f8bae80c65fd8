import { jsonDepthExceeds, maxJsonDepth } from './json-depth';

/** `levels` arrays or objects, one inside the other, as JSON.parse gives them. */
function nested(levels: number, kind: 'array' | 'object'): unknown {
  const open = kind === 'array' ? '[' : '{"a":';
  const close = kind === 'array' ? ']' : '}';
  const innermost = kind === 'array' ? '' : '{}';
  const depth = kind === 'array' ? levels : levels - 1;
  return JSON.parse(`${open.repeat(depth)}${innermost}${close.repeat(depth)}`);
}

describe('jsonDepthExceeds', () => {
  it('counts each array or object as a level, scalars as none', () => {
    for (const kind of ['array', 'object'] as const) {
      expect(jsonDepthExceeds(nested(3, kind), 3)).toBe(false);
      expect(jsonDepthExceeds(nested(4, kind), 3)).toBe(true);
    }
    expect(jsonDepthExceeds('text', 0)).toBe(false);
    expect(jsonDepthExceeds(null, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
  });

  it('finds the deep branch among wide, shallow ones', () => {
    const wide = { a: [1, 2, { b: 'c' }], deep: nested(maxJsonDepth, 'object'), z: {} };
    expect(jsonDepthExceeds(wide)).toBe(true);
    expect(jsonDepthExceeds({ ...wide, deep: nested(maxJsonDepth - 1, 'object') })).toBe(false);
  });

  it('walks a value nested far past the stack a recursive walk has', () => {
    const deep = nested(200_000, 'array');
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(jsonDepthExceeds(deep)).toBe(true);
  });

  it('takes a real request whole', () => {
    const request = {
      model: 'sim-gpt-fast',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'f',
            parameters: { type: 'object', properties: { a: { type: 'array', items: {} } } },
          },
        },
      ],
    };
    expect(jsonDepthExceeds(request)).toBe(false);
  });
});
