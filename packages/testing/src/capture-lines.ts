import { Writable } from 'node:stream';

/** A writable stream that keeps every chunk written to it, e.g. a logger's output under test. */
export function captureLines(): { stream: Writable; lines: string[]; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { stream, lines, text: () => lines.join('\n') };
}
