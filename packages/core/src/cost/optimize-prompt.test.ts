import { estimateInputTokens } from '../tokens/estimate-input-tokens';
import { normalizeWhitespace, optimizePrompt, truncationMarker } from './optimize-prompt';

const turn = (index: number) => [
  { role: 'user' as const, content: `question ${index}: ${'lorem ipsum '.repeat(40)}` },
  { role: 'assistant' as const, content: `answer ${index}: ${'dolor sit amet '.repeat(40)}` },
];
const conversation = [
  { role: 'system' as const, content: 'You are terse.' },
  ...Array.from({ length: 10 }, (_, index) => turn(index)).flat(),
  { role: 'user' as const, content: 'And the latest question?' },
];

describe('prompt optimisation', () => {
  it('changes nothing unless asked', () => {
    const { messages, report } = optimizePrompt({ messages: conversation, options: {} });
    expect(messages).toEqual(conversation);
    expect(report).toMatchObject({ applied: [], messages_dropped: 0, messages_truncated: 0 });
  });

  it('trims history to the context window less the output, keeping the system message and the latest turns', () => {
    const { messages, report } = optimizePrompt({
      messages: conversation,
      options: { trim_history: true },
      contextWindow: 1200,
      reservedOutputTokens: 200,
    });
    expect(estimateInputTokens(messages)).toBeLessThanOrEqual(1000);
    expect(messages[0]).toEqual(conversation[0]);
    expect(messages.at(-1)).toEqual(conversation.at(-1));
    // What stays is the newest part of the conversation, in order.
    expect(messages.slice(1)).toEqual(
      conversation.slice(conversation.length - messages.length + 1),
    );
    expect(report).toMatchObject({
      applied: ['trim_history'],
      messages_dropped: conversation.length - messages.length,
      input_tokens_before: estimateInputTokens(conversation),
      input_tokens_after: estimateInputTokens(messages),
    });
  });

  it('truncates with a marker past max_input_tokens when dropping turns is not enough', () => {
    const long = [
      { role: 'system' as const, content: 'Summarise.' },
      { role: 'user' as const, content: 'word '.repeat(3000) },
    ];
    const { messages, report } = optimizePrompt({
      messages: long,
      options: { max_input_tokens: 500 },
    });
    expect(report.applied).toEqual(['truncate']);
    expect(report.messages_truncated).toBe(1);
    expect(messages[0]).toEqual(long[0]);
    expect(messages[1]?.content.endsWith(truncationMarker)).toBe(true);
    expect(report.input_tokens_after).toBeLessThanOrEqual(500);
    expect(report.input_tokens_after).toBeGreaterThan(450);
  });

  it('normalises whitespace and counts what it removed', () => {
    expect(normalizeWhitespace('  a \t b  \n\n\n\n c  ')).toBe('a b\n\nc');
    const { messages, report } = optimizePrompt({
      messages: [{ role: 'user', content: 'a    b\n\n\n\nc' }],
      options: { normalize_whitespace: true },
    });
    expect(messages[0]?.content).toBe('a b\n\nc');
    expect(report).toMatchObject({
      applied: ['normalize_whitespace'],
      whitespace_chars_removed: 5,
    });
  });
});
