/** One server-sent event as a client receives it. */
export interface ReceivedEvent {
  id?: string;
  event?: string;
  data: string;
}

/**
 * Reads an SSE answer with `fetch` (a plain client, not an SDK), yielding events as they
 * arrive; `stopAfter` lets a test drop the connection part-way, as a flaky network would.
 */
export async function readEvents(
  url: string,
  headers: Record<string, string>,
  options: { stopAfter?: number } = {},
): Promise<{ status: number; events: ReceivedEvent[] }> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const events: ReceivedEvent[] = [];
  if (!response.body || !response.headers.get('content-type')?.includes('text/event-stream')) {
    await response.text();
    return { status: response.status, events };
  }
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let boundary = buffer.indexOf('\n\n');
      while (boundary >= 0) {
        const frame = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        boundary = buffer.indexOf('\n\n');
        const event: ReceivedEvent = { data: '' };
        let hasData = false;
        for (const line of frame.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = value;
          else if (field === 'event') event.event = value;
          else if (field === 'data') {
            event.data = hasData ? `${event.data}\n${value}` : value;
            hasData = true;
          }
        }
        if (!hasData) continue;
        events.push(event);
        if (options.stopAfter !== undefined && events.length >= options.stopAfter) {
          controller.abort();
          return { status: response.status, events };
        }
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  }
  return { status: response.status, events };
}
