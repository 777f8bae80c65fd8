import { readJsonlLines } from './read-jsonl-lines';

async function* chunks(parts: string[]): AsyncIterable<Buffer> {
  for (const part of parts) yield Buffer.from(part);
}

test('lines split across chunks are joined, blank lines skipped, numbers kept', async () => {
  const lines = [];
  for await (const line of readJsonlLines(chunks(['{"a":', '1}\r\n\n{"b"', ':2}\n{"c":3}'])))
    lines.push(line);
  expect(lines).toEqual([
    { number: 1, text: '{"a":1}' },
    { number: 3, text: '{"b":2}' },
    { number: 4, text: '{"c":3}' },
  ]);
});
