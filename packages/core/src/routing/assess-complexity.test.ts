import { assessComplexity } from './assess-complexity';

const user = (content: string) => [{ role: 'user' as const, content }];

describe('assessComplexity list items', () => {
  it('counts numbered and bulleted items that have text on their own line', () => {
    const assessed = assessComplexity(user('Do this:\n1. read\n2. sort\n - write\n'), 10);
    expect(assessed.signals).toContain('multi-step instructions');
  });

  it('does not take a marker whose text is on a later line for an item', () => {
    const assessed = assessComplexity(user('1.\nread\n2.\nsort\n3.\nwrite'), 10);
    expect(assessed.signals).not.toContain('multi-step instructions');
    expect(assessed.score).toBe(0);
  });

  it('reads 150,000 newlines in one pass (the pattern used to rescan them per line)', () => {
    const text = `1. start${'\n'.repeat(150_000)}2. end`;
    expect(text.length).toBeGreaterThan(150_000);
    expect(assessComplexity(user(text), 10).signals).not.toContain('multi-step instructions');
  });
});
