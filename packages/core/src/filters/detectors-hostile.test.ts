import { inspectParts } from './content-filter';
import { type DetectorId, detect, maskEmails } from './detectors';
import type { StagePolicy } from './filter-policy';

/**
 * Inputs crafted against each detector: long runs of the prefix a pattern starts with, so a
 * backtracking regex would rescan the run from every start (quadratic). Each runs at 200,000
 * characters, the default input limit; a quadratic detector would take minutes here and time
 * the test out. `bench/hostile-input.mjs` reports the figures.
 */
const size = 200_000;
const repeat = (piece: string): string =>
  piece.repeat(Math.ceil(size / piece.length)).slice(0, size);

const crafted: Record<DetectorId, string[]> = {
  secret: [
    repeat('eyJ-'),
    repeat('eyJaaaaaaaaaaaa.bbb '),
    `eyJaaaaaaaaaaaa.${repeat('b')}`,
    `-----BEGIN ${repeat('A')}`,
    repeat('-----BEGIN A-----END A'),
    repeat('sk-aaaaaaaaaaaaaaa '),
    repeat('ghp_'),
    repeat('xoxb-aaaaaaaaa '),
    repeat('AKIA'),
    repeat('llmq_0123456789ab_short '),
  ],
  email: [
    repeat('@'),
    repeat('a@'),
    `a@${repeat('a.')}`,
    `${repeat('a')}@`,
    repeat('x@a.a.a.a.a.1 '),
  ],
  iban: [repeat('DE89 '), repeat('DE891'), `DE89${repeat('A')}`],
  credit_card: [repeat('1 '), repeat('1-'), repeat('1')],
  phone: [
    repeat('+1 '),
    repeat('+1'),
    repeat('+111111111111111111 '),
    repeat('(12) '),
    repeat('13'),
  ],
  prompt_injection: [
    repeat('ignore all '),
    repeat('ignore '),
    repeat('reveal system '),
    repeat('you are now '),
    repeat('忽略之前'),
    repeat('enable developer '),
  ],
};

const everyDetector = new Set<DetectorId>(Object.keys(crafted) as DetectorId[]);

describe('detectors on crafted input', () => {
  it.each(Object.entries(crafted))('%s: finds nothing in runs of its own prefixes', (id, texts) => {
    for (const text of texts) {
      expect(text.length).toBeGreaterThanOrEqual(size);
      const found = detect(text, new Set([id as DetectorId])).length;
      expect({ input: text.slice(0, 24), found }).toEqual({ input: text.slice(0, 24), found: 0 });
    }
  });

  it('finds and redacts every one of 28,571 addresses in one text', () => {
    const text = repeat('a@b.co ');
    const matches = detect(text, everyDetector);
    expect(matches).toHaveLength(Math.floor(size / 7));
    expect(matches.every((match) => match.detector === 'email')).toBe(true);
    const policy: StagePolicy = { detectors: { email: 'redact' } } as StagePolicy;
    const [redacted] = inspectParts('input', [{ location: 'messages[0]', text }], policy).texts;
    // Booleans, not strings: a failure would print 200,000 characters.
    expect(redacted?.startsWith('[EMAIL] [EMAIL] ')).toBe(true);
    expect(redacted === text.replaceAll('a@b.co', '[EMAIL]')).toBe(true);
    expect(maskEmails(text, '·') === text.replaceAll('a@b.co', '·')).toBe(true);
  });

  it('resolves overlaps among thousands of matches of several detectors', () => {
    const line = 'mail a@b.co or call +1 415 555 2671, key sk-aaaaaaaaaaaaaaaaaaaa; ';
    const text = repeat(line);
    const matches = detect(text, everyDetector);
    const lines = Math.floor(size / line.length);
    expect(matches.length).toBeGreaterThanOrEqual(lines * 3);
    for (let index = 1; index < matches.length; index++) {
      expect(matches[index]?.start).toBeGreaterThanOrEqual(matches[index - 1]?.end ?? 0);
    }
  });
});

describe('detectors on crafted JSON escapes', () => {
  // The detectors mask escapes first (`json-escapes.ts`): one pass, whatever the escapes.
  const runs = [
    repeat('\\'),
    repeat('\\n'),
    repeat('\\\\n'),
    repeat('\\u00e9'),
    repeat('\\u00'),
    repeat('\\nsk-aaaaaaaaaaaa '),
    repeat('\\n1 '),
    repeat('\\t@'),
    repeat('\\fignore '),
  ];

  it('find nothing in runs of escapes and of prefixes after escapes', () => {
    for (const text of runs) {
      expect(text.length).toBeGreaterThanOrEqual(size);
      const found = detect(text, everyDetector).length;
      expect({ input: text.slice(0, 24), found }).toEqual({ input: text.slice(0, 24), found: 0 });
    }
  });

  it('finds every one of 11,111 cards each after an escaped new line', () => {
    const text = repeat('\\n4111111111111111');
    const matches = detect(text, everyDetector);
    expect(matches).toHaveLength(Math.floor(size / 18));
    expect(matches.every((match) => match.detector === 'credit_card')).toBe(true);
  });
});

describe('the shortest matches', () => {
  it('still finds a six-character address and a six-character injection phrase', () => {
    expect(detect('a@b.co', everyDetector)).toEqual([{ detector: 'email', start: 0, end: 6 }]);
    expect(detect('开启越狱模式', everyDetector)).toEqual([
      { detector: 'prompt_injection', start: 0, end: 6 },
    ]);
    expect(detect('a@b.c', everyDetector)).toEqual([]);
  });
});
