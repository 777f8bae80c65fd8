import { Readable } from 'node:stream';
import { readServerSentEventMessages, readServerSentEvents } from './read-server-sent-events';

async function collect(chunks: string[]): Promise<string[]> {
  const events: string[] = [];
  for await (const data of readServerSentEvents(
    Readable.from(chunks.map((chunk) => Buffer.from(chunk))),
  )) {
    events.push(data);
  }
  return events;
}

describe('readServerSentEvents', () => {
  it('yields the data of each event', async () => {
    expect(await collect(['data: {"a":1}\n\ndata: [DONE]\n\n'])).toEqual(['{"a":1}', '[DONE]']);
  });

  it('reassembles events split across chunks, CRLF line ends included', async () => {
    expect(await collect(['da', 'ta: {"a"', ':1}\r', '\n\r\n', 'data:x\n', '\n'])).toEqual([
      '{"a":1}',
      'x',
    ]);
  });

  it('joins multi-line data and skips comments and other fields', async () => {
    expect(
      await collect([': keep-alive\n\nevent: delta\nid: 1\ndata: one\ndata: two\n\n']),
    ).toEqual(['one\ntwo']);
  });

  it('keeps a last event that lacks its blank line, but drops a line cut in half', async () => {
    expect(await collect(['data: one\n\ndata: two\n'])).toEqual(['one', 'two']);
    expect(await collect(['data: one\n\ndata: {"half'])).toEqual(['one']);
  });

  it('does not split a multi-byte character that straddles chunks', async () => {
    const bytes = Buffer.from('data: é\n\n');
    const stream = Readable.from([bytes.subarray(0, 7), bytes.subarray(7)]);
    const events: string[] = [];
    for await (const data of readServerSentEvents(stream)) events.push(data);
    expect(events).toEqual(['é']);
  });

  it('names each event by its own event field, which does not carry over to the next', async () => {
    const stream = Readable.from([
      Buffer.from('event: ping\ndata: {}\n\nevent:error\ndata: {"e":1}\n\ndata: plain\n\n'),
    ]);
    const events: unknown[] = [];
    for await (const message of readServerSentEventMessages(stream)) events.push(message);
    expect(events).toEqual([
      { event: 'ping', data: '{}' },
      { event: 'error', data: '{"e":1}' },
      { event: null, data: 'plain' },
    ]);
  });
});
