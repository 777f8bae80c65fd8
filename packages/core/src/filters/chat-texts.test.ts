import type { ChatRequest } from '../messages/chat-request';
import type { AssistantContentPart } from '../messages/content-part';
import {
  answerChoicesTextsOf,
  answerTextsOf,
  redactAnswer,
  redactAnswerChoices,
} from './chat-texts';
import { inspectOutput } from './content-filter';
import { filterChatRequest, screenJobRequest } from './filter-job-request';
import { defaultFilterPolicy } from './filter-policy';

const card = '4111 1111 1111 1111';
const secret = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD';

const conversation = (toolArguments: string, userText = 'what is this?'): ChatRequest => ({
  messages: [
    {
      role: 'user',
      content: [
        { type: 'text', text: userText },
        { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
      ],
    },
    {
      role: 'assistant',
      content: [
        { type: 'tool-call', toolCallId: 'call_1', toolName: 'charge', arguments: toolArguments },
      ],
    },
    {
      role: 'tool',
      content: [{ type: 'tool-result', toolCallId: 'call_1', content: `charged card ${card}` }],
    },
  ],
});

describe('the input filter over parts and tool arguments', () => {
  it('redacts text parts, tool results and tool arguments, keeping the arguments JSON', () => {
    const { request, verdict } = filterChatRequest(
      conversation(JSON.stringify({ card }), `my card is ${card}`),
      defaultFilterPolicy,
    );
    expect(verdict.blocked).toBe(false);
    expect(verdict.findings.map((finding) => finding.location)).toEqual([
      'messages[0].content[0]',
      'messages[1].content[0].arguments',
      'messages[2].content[0]',
    ]);
    const serialized = JSON.stringify(request.messages);
    expect(serialized).not.toContain(card);
    const call = request.messages[1]?.content[0] as { arguments: string };
    expect(JSON.parse(call.arguments)).toEqual({ card: expect.not.stringContaining('4111') });
    // The image part is kept as it was.
    expect(request.messages[0]?.content[1]).toEqual({
      type: 'image',
      source: { type: 'url', url: 'https://example.com/a.png' },
    });
  });

  it('blocks, naming where, when a redaction would make tool arguments invalid JSON', () => {
    // The card is a JSON number here: masking it with text would break the JSON.
    const { verdict } = filterChatRequest(
      conversation('{"card":4111111111111111}'),
      defaultFilterPolicy,
    );
    expect(verdict.blocked).toBe(true);
    expect(verdict.reason).toContain('invalid JSON');
    expect(verdict.reason).toContain('messages[1].content[0].arguments');
  });

  it('refuses a secret right after an escaped new line in tool arguments', () => {
    const toolArguments = JSON.stringify({ note: `my key:\n${secret}` });
    expect(toolArguments).toContain('\\nsk-proj-');
    expect(() =>
      screenJobRequest(
        { priority: 5, prompt: 'unused' },
        defaultFilterPolicy,
        conversation(toolArguments),
      ),
    ).toThrow(expect.objectContaining({ code: 'input_rejected' }));
  });

  it('refuses a secret hidden in tool arguments', () => {
    expect(() =>
      screenJobRequest(
        { priority: 5, prompt: 'unused' },
        defaultFilterPolicy,
        conversation(JSON.stringify({ key: secret })),
      ),
    ).toThrow(expect.objectContaining({ code: 'input_rejected' }));
  });
});

describe('the output filter over an answer', () => {
  const answer = (text: string, toolArguments: string): AssistantContentPart[] => [
    { type: 'reasoning', text: 'thinking', signature: 'sig' },
    { type: 'text', text },
    { type: 'tool-call', toolCallId: 'call_1', toolName: 'charge', arguments: toolArguments },
  ];

  it('reads text and tool arguments, and writes redactions back into the right parts', () => {
    const content = answer(`card ${card}`, JSON.stringify({ card }));
    const verdict = inspectOutput(answerTextsOf(content), defaultFilterPolicy);
    expect(verdict.findings.map((finding) => finding.location)).toEqual([
      'text',
      'tool_calls[0].arguments',
    ]);
    const redacted = redactAnswer(content, verdict.texts, false);
    if ('broken' in redacted) throw new Error(redacted.broken.reason);
    expect(JSON.stringify(redacted.content)).not.toContain(card);
    expect(redacted.content[0]).toEqual(content[0]);
    expect(() =>
      JSON.parse((redacted.content[2] as { arguments: string }).arguments),
    ).not.toThrow();
  });

  it('redacts a card and a key written right after JSON escapes in tool arguments', () => {
    // `\n4111…` in the arguments text: before, the `n` hid the card from the detectors.
    const toolArguments = JSON.stringify({
      note: `call me\n${card}`,
      key: `key:\t${secret}`,
      to: `Jos\u00e9\r${card}`,
    });
    expect(toolArguments).toContain('\\n4111');
    const content = answer('done', toolArguments);
    const verdict = inspectOutput(answerTextsOf(content), defaultFilterPolicy);
    expect(verdict.findings).toEqual([
      expect.objectContaining({
        location: 'tool_calls[0].arguments',
        detector: 'credit_card',
        count: 2,
      }),
      expect.objectContaining({
        location: 'tool_calls[0].arguments',
        detector: 'secret',
        count: 1,
      }),
    ]);
    const redacted = redactAnswer(content, verdict.texts, false);
    if ('broken' in redacted) throw new Error(redacted.broken.reason);
    const call = redacted.content[2] as { arguments: string };
    expect(JSON.parse(call.arguments)).toEqual({
      note: 'call me\n[CARD]',
      key: 'key:\t[SECRET]',
      to: 'Jos\u00e9\r[CARD]',
    });
  });

  it('redacts a structured output after escapes and keeps it JSON', () => {
    const text = JSON.stringify({ reply: `sure\n${card}`, key: `\t${secret}` });
    const content = answer(text, '{}');
    const verdict = inspectOutput(answerTextsOf(content), defaultFilterPolicy);
    const redacted = redactAnswer(content, verdict.texts, true);
    if ('broken' in redacted) throw new Error(redacted.broken.reason);
    const part = redacted.content[1] as { text: string };
    expect(JSON.parse(part.text)).toEqual({ reply: 'sure\n[CARD]', key: '\t[SECRET]' });
  });

  it('never turns a structured output into invalid JSON: it says why instead', () => {
    const content = answer('{"card":4111111111111111}', '{}');
    const verdict = inspectOutput(answerTextsOf(content), defaultFilterPolicy);
    expect(verdict.findings).toHaveLength(1);
    const redacted = redactAnswer(content, verdict.texts, true);
    expect(redacted).toEqual({
      broken: expect.objectContaining({ reason: expect.stringContaining('structured output') }),
    });
    // The same text in a free-text answer is simply masked.
    expect('content' in redactAnswer(content, verdict.texts, false)).toBe(true);
  });

  it('reads and redacts every choice of an n > 1 answer, each under its own name', () => {
    const first = answer('nothing here', '{}');
    const second = answer(`card ${card}`, JSON.stringify({ card }));
    const third: AssistantContentPart[] = [{ type: 'text', text: `also ${card}` }];
    const choices = { content: first, otherChoices: [{ content: second }, { content: third }] };
    const verdict = inspectOutput(answerChoicesTextsOf(choices), defaultFilterPolicy);
    expect(verdict.findings.map((finding) => finding.location)).toEqual([
      'other_choices[0].text',
      'other_choices[0].tool_calls[0].arguments',
      'other_choices[1].text',
    ]);
    const redacted = redactAnswerChoices(choices, verdict.texts, false);
    if ('broken' in redacted) throw new Error(redacted.broken.reason);
    expect(redacted.content).toEqual(first);
    expect(redacted.otherChoices).toHaveLength(2);
    expect(JSON.stringify(redacted.otherChoices)).not.toContain(card);
    expect(redacted.otherChoices[0]?.[0]).toEqual(second[0]);
    expect(redacted.otherChoices[1]).toEqual([{ type: 'text', text: 'also [CARD]' }]);
  });

  it('names the choice whose redaction would break a structured output', () => {
    const choices = {
      content: [{ type: 'text' as const, text: '{"card":"none"}' }],
      otherChoices: [{ content: [{ type: 'text' as const, text: '{"card":4111111111111111}' }] }],
    };
    const verdict = inspectOutput(answerChoicesTextsOf(choices), defaultFilterPolicy);
    expect(redactAnswerChoices(choices, verdict.texts, true)).toEqual({
      broken: expect.objectContaining({
        location: expect.stringMatching(/^other_choices\[0\]\./),
        reason: expect.stringContaining('structured output'),
      }),
    });
  });
});
