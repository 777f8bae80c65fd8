/** One server-sent event of a streamed answer. */
export interface SseEvent {
  /** The `event:` line, for Anthropic streams; OpenAI streams send data lines only. */
  event?: string;
  /** The `data:` line: JSON, or `[DONE]`. */
  data: string;
  /** Completion tokens the event carries; events with tokens are paced, the others are not. */
  tokens: number;
}

/** The event on the wire, blank line included. */
export function formatSseEvent(event: SseEvent): string {
  return event.event === undefined
    ? `data: ${event.data}\n\n`
    : `event: ${event.event}\ndata: ${event.data}\n\n`;
}

/** The event with its JSON data cut in half, so a client's `JSON.parse` fails on it. */
export function formatMalformedSseEvent(event: SseEvent): string {
  return formatSseEvent({
    ...event,
    data: event.data.slice(0, Math.max(1, Math.floor(event.data.length / 2))),
  });
}
