import { jobRequestSchema, normalizeJobRequest } from './job-request';
import { canonicalJson } from './job-submitter';

describe('jobRequestSchema', () => {
  it('defaults priority and accepts text parts', () => {
    const parsed = jobRequestSchema.parse({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ],
    });
    expect(parsed.priority).toBe(5);
    expect(normalizeJobRequest(parsed).messages).toEqual([{ role: 'user', content: 'ab' }]);
  });

  it.each([
    [{}],
    [{ prompt: '' }],
    [{ prompt: 'x', priority: 11 }],
    [{ prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] }],
    [{ prompt: 'x', max_tokens: 0 }],
    [{ prompt: 'x', metadata: { k: 1 } }],
    [{ prompt: 'x', extra: true }],
  ])('rejects %j', (body) => {
    expect(jobRequestSchema.safeParse(body).success).toBe(false);
  });

  it('keeps generation parameters when normalising', () => {
    const parsed = jobRequestSchema.parse({
      prompt: 'hi',
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ['x'],
      max_tokens: 5,
    });
    expect(normalizeJobRequest(parsed)).toEqual({
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.2,
      topP: 0.9,
      seed: 7,
      stop: ['x'],
      maxTokens: 5,
    });
  });
});

describe('canonicalJson', () => {
  it('is independent of key order and skips undefined', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined, e: 'x' }] })).toBe(
      canonicalJson({ a: [{ e: 'x', d: 2 }], b: 1 }),
    );
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
  });
});
