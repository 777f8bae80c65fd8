/** Builds a batch input file (JSONL) of `count` chat-completion requests. */
export function batchLines(
  count: number,
  options: { model?: string; prefix?: string } = {},
): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index += 1) {
    lines.push(
      JSON.stringify({
        custom_id: `${options.prefix ?? 'request'}-${index}`,
        method: 'POST',
        url: '/v1/chat/completions',
        body: {
          model: options.model ?? 'sim-gpt-fast',
          messages: [{ role: 'user', content: `Say something about ${index}` }],
          max_tokens: 8,
        },
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Parses a JSONL text into objects. */
export function parseJsonl<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}
