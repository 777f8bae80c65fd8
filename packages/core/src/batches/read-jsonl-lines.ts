import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';

/** One line of a JSONL file with its 1-based line number. Blank lines are skipped. */
export interface NumberedLine {
  number: number;
  text: string;
}

/**
 * Reads a file given as chunks, line by line, holding at most one chunk and one line in
 * memory (readline over the chunk stream; `\r\n` endings are accepted).
 */
export async function* readJsonlLines(chunks: AsyncIterable<Buffer>): AsyncIterable<NumberedLine> {
  const lines = createInterface({
    input: Readable.from(chunks),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const text of lines) {
    number += 1;
    if (text.trim() === '') continue;
    yield { number, text };
  }
}
