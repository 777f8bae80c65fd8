import type { ServerResponse } from 'node:http';
import type { AnswerMode } from './answer-mode';
import { formatMalformedSseEvent, formatSseEvent, type SseEvent } from './sse-event';
import { wait } from './wait';

/** How a stream is paced; see `ModelProfile`. */
export interface StreamPacing {
  timeToFirstTokenMs: number;
  /** 0 sends everything at once. */
  tokensPerSecond: number;
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};

/**
 * Streams `events` as server-sent events. The first event carrying tokens waits
 * `timeToFirstTokenMs`; the later ones are scheduled from the tokens sent so far, so pacing
 * does not drift. Events due at the same time go out in one write.
 *
 * `cut` sends the first half of the events, then destroys the socket without the terminating
 * event; `malformed` replaces the middle event's JSON with half of it.
 */
export async function playSseStream(
  response: ServerResponse,
  events: readonly SseEvent[],
  pacing: StreamPacing,
  mode: AnswerMode,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<void> {
  if (response.destroyed) return;
  response.writeHead(200, { ...headers, ...SSE_HEADERS });
  const eventCount = mode === 'cut' ? Math.max(1, Math.floor(events.length / 2)) : events.length;
  const malformedIndex = mode === 'malformed' ? Math.floor(events.length / 2) : -1;
  let pending = '';
  let firstTokenAt: number | null = null;
  let tokensSent = 0;
  for (let index = 0; index < eventCount; index += 1) {
    const event = events[index]!;
    if (event.tokens > 0) {
      const delayMs =
        firstTokenAt === null
          ? pacing.timeToFirstTokenMs
          : pacing.tokensPerSecond > 0
            ? firstTokenAt + (tokensSent * 1000) / pacing.tokensPerSecond - performance.now()
            : 0;
      if (delayMs >= 1) {
        if (pending.length > 0) response.write(pending);
        pending = '';
        if (!(await wait(delayMs, signal)) || response.destroyed) return;
      }
      firstTokenAt ??= performance.now();
      tokensSent += event.tokens;
    }
    pending += index === malformedIndex ? formatMalformedSseEvent(event) : formatSseEvent(event);
  }
  if (mode === 'cut') {
    response.write(pending, () => response.destroy());
  } else {
    response.end(pending);
  }
}
