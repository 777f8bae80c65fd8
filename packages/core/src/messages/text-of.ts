import type { ChatMessage } from './chat-message';
import type { ContentPart } from './content-part';

/**
 * The text of a message as a provider would read it: a string content as is, otherwise its
 * text parts joined with `separator` (default "\n", as Anthropic joins system blocks); text
 * inside tool results counts too. Parts are never glued with no separator.
 */
export function textOf(message: Pick<ChatMessage, 'content'>, separator = '\n'): string {
  const content = message.content;
  if (typeof content === 'string') return content;
  return textsOfParts(content).join(separator);
}

/** The texts a part list carries, in order: text parts and the text of tool results. */
export function textsOfParts(parts: readonly ContentPart[]): string[] {
  const texts: string[] = [];
  for (const part of parts) {
    if (part.type === 'text') texts.push(part.text);
    else if (part.type === 'tool-result') {
      if (typeof part.content === 'string') texts.push(part.content);
      else for (const inner of part.content) if (inner.type === 'text') texts.push(inner.text);
    }
  }
  return texts;
}

/** Every part of a message; a string content is one text part. */
export function partsOf(message: Pick<ChatMessage, 'content'>): ContentPart[] {
  return typeof message.content === 'string'
    ? [{ type: 'text', text: message.content }]
    : [...message.content];
}
