import type { ChatMessage } from '../messages/chat-message';
import { answerText } from '../messages/chat-result';
import type { AssistantContentPart } from '../messages/content-part';
import type { FilterPart } from './content-filter';

/**
 * The texts of a conversation the filters read, in a fixed order: every text part (a string
 * content is one), every reasoning text, every tool call's JSON arguments and every tool
 * result's text. Images and documents carry no text to read.
 */
export function chatTextsOf(messages: readonly ChatMessage[]): FilterPart[] {
  const texts: FilterPart[] = [];
  messages.forEach((message, index) => {
    const at = `messages[${index}]`;
    if (typeof message.content === 'string') {
      texts.push({ location: at, text: message.content });
      return;
    }
    message.content.forEach((part, partIndex) => {
      const location = `${at}.content[${partIndex}]`;
      if (part.type === 'text' || part.type === 'reasoning')
        texts.push({ location, text: part.text });
      else if (part.type === 'tool-call')
        texts.push({ location: `${location}.arguments`, text: part.arguments });
      else if (part.type === 'tool-result') {
        if (typeof part.content === 'string') texts.push({ location, text: part.content });
        else
          part.content.forEach((inner, innerIndex) => {
            if (inner.type === 'text')
              texts.push({ location: `${location}.content[${innerIndex}]`, text: inner.text });
          });
      }
    });
  });
  return texts;
}

/** Why redacted texts cannot be written back: where a redaction would break a structure. */
export interface BrokenRedaction {
  location: string;
  reason: string;
}

/** True when `text` is JSON (what tool arguments and structured outputs must stay). */
export function isJsonText(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The conversation with `texts` (redacted, in {@link chatTextsOf}'s order) written back. A
 * redaction that would turn tool arguments into invalid JSON, or change signed reasoning (the
 * provider would refuse it), is not written: the location is returned, to block instead.
 */
export function withChatTexts(
  messages: readonly ChatMessage[],
  texts: readonly string[],
): { messages: ChatMessage[] } | { broken: BrokenRedaction } {
  let cursor = 0;
  let broken: BrokenRedaction | undefined;
  const next = (original: string, location: string, check?: 'json' | 'signed'): string => {
    const text = texts[cursor++] ?? original;
    if (text === original || check === undefined) return text;
    if (check === 'json' && isJsonText(text)) return text;
    broken ??= {
      location,
      reason:
        check === 'json'
          ? 'a redaction would make the tool arguments invalid JSON'
          : 'a redaction would change signed reasoning',
    };
    return original;
  };
  const result = messages.map((message, index): ChatMessage => {
    const at = `messages[${index}]`;
    if (typeof message.content === 'string')
      return { ...message, content: next(message.content, at) } as ChatMessage;
    const content = message.content.map((part, partIndex) => {
      const location = `${at}.content[${partIndex}]`;
      if (part.type === 'text') return { ...part, text: next(part.text, location) };
      if (part.type === 'reasoning')
        return {
          ...part,
          text: next(part.text, location, part.signature !== undefined ? 'signed' : undefined),
        };
      if (part.type === 'tool-call')
        return { ...part, arguments: next(part.arguments, `${location}.arguments`, 'json') };
      if (part.type === 'tool-result') {
        if (typeof part.content === 'string')
          return { ...part, content: next(part.content, location) };
        return {
          ...part,
          content: part.content.map((inner, innerIndex) =>
            inner.type === 'text'
              ? { ...inner, text: next(inner.text, `${location}.content[${innerIndex}]`) }
              : inner,
          ),
        };
      }
      return part;
    });
    return { ...message, content } as ChatMessage;
  });
  return broken ? { broken } : { messages: result };
}

/**
 * The texts of an answer the output filter reads, named as a job result shows them: `text`,
 * `reasoning`, and `tool_calls[i].arguments`.
 */
export function answerTextsOf(content: readonly AssistantContentPart[]): FilterPart[] {
  let toolIndex = 0;
  const texts: FilterPart[] = [];
  for (const part of content) {
    if (part.type === 'text') texts.push({ location: 'text', text: part.text });
    else if (part.type === 'reasoning') texts.push({ location: 'reasoning', text: part.text });
    else texts.push({ location: `tool_calls[${toolIndex++}].arguments`, text: part.arguments });
  }
  return texts;
}

/** An answer and, with `n` > 1, its other choices: what the output filter reads and redacts. */
export interface AnswerChoices {
  content: readonly AssistantContentPart[];
  otherChoices?: ReadonlyArray<{ content: readonly AssistantContentPart[] }>;
}

/**
 * The texts of every choice of an answer: the first choice's as {@link answerTextsOf} names
 * them, then choice `i + 1`'s under `other_choices[i].`, as a job result shows them.
 */
export function answerChoicesTextsOf(answer: AnswerChoices): FilterPart[] {
  const texts = answerTextsOf(answer.content);
  answer.otherChoices?.forEach((choice, index) => {
    for (const part of answerTextsOf(choice.content))
      texts.push({ location: `other_choices[${index}].${part.location}`, text: part.text });
  });
  return texts;
}

/**
 * Every choice's parts with the output filter's `texts` (in {@link answerChoicesTextsOf}'s
 * order) written back, as {@link redactAnswer} writes one; or the first place where a
 * redaction cannot be written.
 */
export function redactAnswerChoices(
  answer: AnswerChoices,
  texts: readonly string[],
  structured: boolean,
):
  | { content: AssistantContentPart[]; otherChoices: AssistantContentPart[][] }
  | { broken: BrokenRedaction } {
  let offset = 0;
  const redactChoice = (content: readonly AssistantContentPart[]) => {
    const count = answerTextsOf(content).length;
    const redacted = redactAnswer(content, texts.slice(offset, offset + count), structured);
    offset += count;
    return redacted;
  };
  const first = redactChoice(answer.content);
  if ('broken' in first) return first;
  const otherChoices: AssistantContentPart[][] = [];
  for (const [index, choice] of (answer.otherChoices ?? []).entries()) {
    const redacted = redactChoice(choice.content);
    if ('broken' in redacted) {
      const { location, reason } = redacted.broken;
      return { broken: { location: `other_choices[${index}].${location}`, reason } };
    }
    otherChoices.push(redacted.content);
  }
  return { content: first.content, otherChoices };
}

/**
 * An answer's parts with the output filter's `texts` written back, or why they cannot be: a
 * redaction never turns tool arguments, or a structured output (`structured`: the request asked
 * for JSON), into invalid JSON; the answer is blocked instead.
 */
export function redactAnswer(
  content: readonly AssistantContentPart[],
  texts: readonly string[],
  structured: boolean,
): { content: AssistantContentPart[] } | { broken: BrokenRedaction } {
  const written = withChatTexts([{ role: 'assistant', content: [...content] }], texts);
  if ('broken' in written) return written;
  const redacted = (written.messages[0]?.content ?? []) as AssistantContentPart[];
  if (structured) {
    const before = answerText(content);
    const after = answerText(redacted);
    if (after !== before && isJsonText(before) && !isJsonText(after))
      return {
        broken: {
          location: 'content',
          reason: 'a redaction would make the structured output invalid JSON',
        },
      };
  }
  return { content: redacted };
}
