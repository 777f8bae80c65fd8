import { mulberry32 } from '../cache/seeded-random';
import type { ContentStreamPart as StreamPart } from '../messages/stream-answer';
import { inspectOutput } from './content-filter';
import { defaultFilterPolicy, type FilterPolicy, mergeFilterPolicy } from './filter-policy';
import { StreamOutputFilter } from './stream-output-filter';
import { chunks } from './test-support/stream-chunks';

const card = '4111 1111 1111 1111';
const iban = 'GB82 WEST 1234 5698 7654 32';
const key = `sk-proj-${'Ab3_x9'.repeat(26)}`;
const privateKey = `-----BEGIN PRIVATE KEY-----\n${'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n'.repeat(20)}-----END PRIVATE KEY-----`;
const jwt = `eyJhbGciOiJIUzI1NiJ9.${'eyJzdWIiOiIxMjM0NTY3ODkwIn0'.repeat(8)}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`;
const prose = (words: number) =>
  Array.from({ length: words }, (_, index) => `word${index % 17}`).join(' ');

const withEmail = mergeFilterPolicy(defaultFilterPolicy, {
  output: { detectors: { email: 'redact' } },
});

/** Streams `deltas` through a filter for `policy`; every part it lets out, in order. */
function streamed(deltas: readonly string[], policy: FilterPolicy): StreamPart[] {
  const filter = StreamOutputFilter.for(policy.output);
  if (filter === undefined) throw new Error('the policy filters nothing');
  const out: StreamPart[] = [];
  for (const delta of deltas) out.push(...filter.push({ type: 'text-delta', delta }));
  out.push(...filter.finish());
  return out;
}

const textOf = (parts: readonly StreamPart[]) =>
  parts.map((part) => (part.type === 'text-delta' ? part.delta : '')).join('');

describe('StreamOutputFilter', () => {
  const answers: Array<[string, string, FilterPolicy]> = [
    [
      'a card number typed with spaces',
      `${prose(40)} pay with ${card} today. ${prose(60)}`,
      defaultFilterPolicy,
    ],
    ['an IBAN', `${prose(30)} send it to ${iban}, thanks. ${prose(50)}`, defaultFilterPolicy],
    [
      'an API key longer than the hold-back',
      `${prose(20)} the key is ${key} ok ${prose(50)}`,
      defaultFilterPolicy,
    ],
    [
      'a private key block across lines',
      `${prose(25)}\n${privateKey}\n${prose(40)}`,
      defaultFilterPolicy,
    ],
    [
      'a token with no space for 400 characters',
      `${prose(30)} ${jwt} ${prose(30)}`,
      defaultFilterPolicy,
    ],
    [
      'an address, redacted by a tenant',
      `${prose(35)} write to jane.doe@example.com now ${prose(35)}`,
      withEmail,
    ],
    [
      'two matches close together',
      `${prose(10)} ${card} and ${iban} ${prose(10)}`,
      defaultFilterPolicy,
    ],
    ['a match in the last characters', `${prose(50)} ${card}`, defaultFilterPolicy],
    [
      // Before, `\n4111…` was one word to the detectors: nothing was found, even stored.
      'a structured output (JSON) with a card and a key right after escapes',
      JSON.stringify({ summary: prose(20), note: `call me\n${card}`, key: `\t${key}`, ok: 1 }),
      defaultFilterPolicy,
    ],
    [
      'a near miss (no word boundary) beside a match',
      `${prose(30)} xsk-proj-ABCDEFGHIJKLMNOPQRST 44${card.replace(/ /g, '')}9 ${card} ${prose(20)}`,
      defaultFilterPolicy,
    ],
  ];

  it.each(answers)(
    'streams %s redacted exactly as the stored result, whatever the chunking',
    (_name, text, policy) => {
      const stored = inspectOutput(text, policy).texts[0];
      expect(stored).not.toBe(text);
      for (const [seed, longest] of [
        [1, 1],
        [2, 4],
        [3, 12],
        [4, 40],
        [5, 300],
      ] as const) {
        const parts = streamed(chunks(text, seed, longest), policy);
        expect(textOf(parts)).toBe(stored);
        // No released piece carries any part of what was redacted.
        for (const part of parts)
          if (part.type === 'text-delta')
            for (const secret of [
              card,
              iban,
              key,
              'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
              jwt.slice(0, 30),
              'jane.doe',
            ])
              expect(part.delta).not.toContain(secret.slice(0, 12));
      }
    },
  );

  it('streams any mix of prose, numbers and secrets exactly as the stored result', () => {
    const next = mulberry32(42);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const digits = (count: number) =>
      Array.from({ length: count }, () => String(Math.floor(next() * 10))).join('');
    const pieces = [
      () => pick(['the', 'queue', 'Drains', 'its', 'JOBS', 'one', 'by', 'A1', 'x9']),
      () => card,
      () => card.replace(/ /g, '-'),
      () => iban,
      () => digits(1 + Math.floor(next() * 24)),
      () => `${digits(4)} ${digits(4)} ${digits(4)} ${digits(4)}`,
      () => `+44 20 ${digits(4)} ${digits(4)}`,
      () => key,
      () => `x${key}`,
      () => 'jane.doe@example.com',
      () => pick([',', '.', ':', '(', ')', '-', '\n', '  ']),
      // JSON escapes written out in the text (code, a JSON answer), right before a match.
      () =>
        `${pick(['\\n', '\\t', '\\r', '\\u00e9', '\\\\n', '\\"', '\\'])}${pick([card, iban, key, 'jane.doe@example.com'])}`,
    ];
    const policy = mergeFilterPolicy(withEmail, { output: { detectors: { phone: 'redact' } } });
    let redactedAfterEscapes = 0;
    for (let round = 0; round < 500; round += 1) {
      const words = Array.from({ length: 10 + Math.floor(next() * 60) }, () => pick(pieces)());
      const text = words.join(pick([' ', ' ', ' ', '\n']));
      const stored = inspectOutput(text, policy).texts[0] ?? '';
      redactedAfterEscapes += (stored.match(/\\(?:[bfnrt]|u[0-9a-f]{4})\[[A-Z]+\]/g) ?? []).length;
      const parts = streamed(chunks(text, round, 1 + Math.floor(next() * 20)), policy);
      expect({ round, text: textOf(parts) }).toEqual({ round, text: stored });
    }
    expect(redactedAfterEscapes).toBeGreaterThan(100);
  });

  it('never starts a scan inside a private key block it released whole', () => {
    // The block's lines end in a small letter, so a clean break lies inside it; a scan starting
    // there would not see the block, and the address begun in its END line would then cover
    // the card after it, which the whole text's scan (where the block covers the address) redacts.
    const block = privateKey.replace(/ASC\n/g, 'ASx\n');
    const deltas = [
      `note ${block}`,
      // Ends inside a word: what goes out stops at the block's end.
      '4111111111111111@example.com and 4111',
      ' 1111 1111 1111 end',
    ];
    const stored = inspectOutput(deltas.join(''), defaultFilterPolicy).texts[0];
    expect(stored).toBe('note [SECRET][CARD]@example.com and [CARD] end');
    const parts = streamed(deltas, defaultFilterPolicy);
    expect(parts.map((part) => (part.type === 'text-delta' ? part.delta : ''))).toEqual([
      'note [SECRET]',
      '[CARD]@example.com and [CARD] end',
    ]);
  });

  it('streams clean prose unchanged, one word behind the model', () => {
    const text = prose(400);
    const filter = StreamOutputFilter.for(defaultFilterPolicy.output)!;
    let sent = '';
    let received = '';
    for (const delta of chunks(text, 7, 6)) {
      received += delta;
      for (const part of filter.push({ type: 'text-delta', delta }))
        if (part.type === 'text-delta') sent += part.delta;
      expect(received.startsWith(sent)).toBe(true);
      // Held back: about the word being written (and the digits ending the last one, which
      // might start a number) and the delta it began in: far less than a line.
      expect(received.length - sent.length).toBeLessThanOrEqual(20);
    }
    expect(sent.length).toBeGreaterThan(text.length - 20);
  });

  it('streams a structured answer (JSON with no whitespace) a JSON token behind, redacted', () => {
    const answer = JSON.stringify({
      name: 'Paris',
      country: 'France',
      population: 2_148_000,
      contact: 'ops@example.com',
      card,
      districts: Array.from({ length: 20 }, (_, index) => `district-${index}`),
    });
    const filter = StreamOutputFilter.for(withEmail.output)!;
    let sent = '';
    let received = '';
    let pieces = 0;
    for (const delta of chunks(answer, 4, 3)) {
      received += delta;
      for (const part of filter.push({ type: 'text-delta', delta }))
        if (part.type === 'text-delta') {
          sent += part.delta;
          pieces += 1;
        }
      // Held back: the JSON token being written and the delta it began in, or a number that
      // may still grow into a card, never the whole answer.
      expect(received.length - sent.length).toBeLessThanOrEqual(48);
    }
    for (const part of filter.finish()) if (part.type === 'text-delta') sent += part.delta;
    expect(pieces).toBeGreaterThan(20);
    expect(sent).toBe(inspectOutput(answer, withEmail).texts[0]);
    expect(sent).not.toContain(card);
    expect(sent).not.toContain('ops@example.com');
  });

  it('stops a text at a blocking match: nothing of it or after it goes out', () => {
    const policy = mergeFilterPolicy(defaultFilterPolicy, {
      output: { detectors: { credit_card: 'block' } },
    });
    const text = `${prose(60)} the card ${card} ${prose(60)}`;
    const sent = textOf(streamed(chunks(text, 11, 5), policy));
    expect(text.startsWith(sent)).toBe(true);
    expect(sent).not.toContain('4111');
    expect(sent.length).toBeGreaterThan(100);
  });

  it('filters nothing for a policy that only flags', () => {
    const flagOnly = mergeFilterPolicy(defaultFilterPolicy, {
      output: { detectors: { secret: 'flag', credit_card: 'off', iban: 'flag' } },
    });
    expect(StreamOutputFilter.for(flagOnly.output)).toBeUndefined();
    expect(StreamOutputFilter.for(undefined)).toBeUndefined();
  });

  it("keeps each choice's parts in order, and a released piece's token logprobs", () => {
    const filter = StreamOutputFilter.for(defaultFilterPolicy.output)!;
    const words = prose(60).split(/(?= )/);
    const out: StreamPart[] = [];
    for (const [index, word] of words.entries()) {
      out.push(
        ...filter.push({
          type: 'text-delta',
          delta: word,
          logprobs: [{ token: word, logprob: -index, topLogprobs: [] }],
          ...(index % 2 === 1 ? { choice: 1 } : {}),
        }),
      );
    }
    // A tool call starting in choice 0 first releases what choice 0 holds.
    const start: StreamPart = {
      type: 'tool-call-start',
      index: 0,
      toolCallId: 'call_1',
      toolName: 'f',
    };
    out.push(...filter.push(start));
    const startAt = out.indexOf(start);
    const choice0 = out
      .slice(0, startAt)
      .filter((part) => part.type === 'text-delta' && part.choice === undefined);
    expect(textOf(choice0)).toBe(words.filter((_, index) => index % 2 === 0).join(''));
    for (const part of out)
      if (part.type === 'text-delta')
        expect(part.logprobs?.map((token) => token.token).join('')).toBe(part.delta);
  });

  it('reads each character a bounded number of times, even while a match keeps growing', () => {
    // A private key block never closed: the match runs to the end of everything written.
    const text = `${prose(20)}\n-----BEGIN PRIVATE KEY-----\n${prose(20_000)}`;
    const filter = StreamOutputFilter.for(defaultFilterPolicy.output)!;
    let sent = '';
    for (const delta of chunks(text, 13, 3))
      for (const part of filter.push({ type: 'text-delta', delta }))
        if (part.type === 'text-delta') sent += part.delta;
    expect(sent).not.toContain('BEGIN PRIVATE KEY');
    expect(filter.scannedCharacters).toBeLessThan(text.length * 8);
  });
});
