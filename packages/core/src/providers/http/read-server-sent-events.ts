import type { Readable } from 'node:stream';

/** One server-sent event: its `event:` name (null when it has none) and its data. */
export interface ServerSentEvent {
  event: string | null;
  data: string;
}

/**
 * Yields each server-sent event in a response body that carries data (multi-line data joined
 * with `\n`), with its `event:` name. Other fields (`id:`, `retry:`) and comments are skipped.
 * A line cut off by the end of the body is dropped, so a broken connection never yields half a
 * JSON document.
 */
export async function* readServerSentEventMessages(
  body: Readable,
): AsyncGenerator<ServerSentEvent> {
  body.setEncoding('utf8');
  let buffer = '';
  let event: string | null = null;
  let dataLines: string[] = [];
  for await (const chunk of body as AsyncIterable<string>) {
    buffer = buffer === '' ? chunk : buffer + chunk;
    let position = 0;
    for (;;) {
      const lineEnd = buffer.indexOf('\n', position);
      if (lineEnd === -1) break;
      const contentEnd =
        lineEnd > position && buffer.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
      const line = buffer.slice(position, contentEnd);
      position = lineEnd + 1;
      if (line === '') {
        if (dataLines.length > 0) {
          const data = dataLines.length === 1 ? (dataLines[0] as string) : dataLines.join('\n');
          yield { event, data };
          dataLines = [];
        }
        event = null;
      } else if (line.startsWith('data:')) {
        dataLines.push(fieldValue(line, 5));
      } else if (line.startsWith('event:')) {
        event = fieldValue(line, 6);
      }
    }
    buffer = position === 0 ? buffer : buffer.slice(position);
  }
  // Some servers end the body right after the last event's data line, without the blank line.
  if (buffer === '' && dataLines.length > 0) yield { event, data: dataLines.join('\n') };
}

/**
 * Yields the `data` of each server-sent event in a response body, for streams that put
 * everything in `data` (OpenAI-style); see {@link readServerSentEventMessages}.
 */
export async function* readServerSentEvents(body: Readable): AsyncGenerator<string> {
  for await (const message of readServerSentEventMessages(body)) yield message.data;
}

/** A field's value: what follows the colon, less the one optional space that belongs to the syntax. */
function fieldValue(line: string, colonEnd: number): string {
  return line.charCodeAt(colonEnd) === 32 ? line.slice(colonEnd + 1) : line.slice(colonEnd);
}
