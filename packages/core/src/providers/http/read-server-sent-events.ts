import type { Readable } from 'node:stream';

/**
 * Yields the `data` of each server-sent event in a response body (multi-line data joined with
 * `\n`). Other fields (`event:`, `id:`, `retry:`) and comments are skipped: OpenAI-style
 * streams put everything in `data`. A line cut off by the end of the body is dropped, so a
 * broken connection never yields half a JSON document.
 */
export async function* readServerSentEvents(body: Readable): AsyncGenerator<string> {
  body.setEncoding('utf8');
  let buffer = '';
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
          yield dataLines.length === 1 ? (dataLines[0] as string) : dataLines.join('\n');
          dataLines = [];
        }
      } else if (line.startsWith('data:')) {
        // One optional space after the colon belongs to the syntax, not to the data.
        dataLines.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
      }
    }
    buffer = position === 0 ? buffer : buffer.slice(position);
  }
  // Some servers end the body right after the last event's data line, without the blank line.
  if (buffer === '' && dataLines.length > 0) yield dataLines.join('\n');
}
