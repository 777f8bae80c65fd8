import fs from 'node:fs';
import { apiKey } from '../system-harness';

/** What a paced submitter saw: the ids that got a 202, and every other answer by status/code. */
export interface SubmitTally {
  accepted: string[];
  /** Non-202 answers, keyed `503 redis_unavailable`, `network error`, ... */
  rejected: Record<string, number>;
  /** With `retry`: answers that were retried (same key), by status/code. */
  retried: Record<string, number>;
  /** With `retry`: 202 answers marked `Idempotent-Replayed: true`. */
  replayed: number;
}

export interface PacedSubmitOptions {
  apiUrl: string;
  /** Jobs per second. */
  rate: number;
  /** Stop after this many submissions... */
  count?: number;
  /** ...or after this long, whichever comes first. */
  durationMs?: number;
  /** The body of the n-th job. */
  body: (index: number) => unknown;
  /** Most requests in flight at once (a slow API must not pile up sockets). Default 200. */
  maxInFlight?: number;
  /** Stops early when it resolves true (checked every tick). */
  stop?: () => boolean;
  /** The `Idempotency-Key` of the n-th job; absent, none is sent. */
  idempotencyKey?: (index: number) => string;
  /**
   * Retry a 503 or a request that got no answer with the same body and key, as a client does,
   * every `intervalMs` until a 202, another answer, or `forMs` after the first try.
   */
  retry?: { intervalMs: number; forMs: number };
}

/**
 * Submits `POST /v1/jobs` at a fixed rate (an open-loop load: a slow or failing API does not
 * slow the arrivals down), and tallies the answers. Resolves when every request has answered.
 */
export function pacedSubmit(options: PacedSubmitOptions): Promise<SubmitTally> & {
  /** The ids accepted so far, while the load still runs. */
  peek(): Promise<string[]>;
} {
  const tally: SubmitTally = { accepted: [], rejected: {}, retried: {}, replayed: 0 };
  const done = runPaced(options, tally);
  return Object.assign(done, { peek: async () => [...tally.accepted] });
}

async function runPaced(options: PacedSubmitOptions, tally: SubmitTally): Promise<SubmitTally> {
  const count = options.count ?? Number.POSITIVE_INFINITY;
  const endAt = Date.now() + (options.durationMs ?? Number.POSITIVE_INFINITY);
  const maxInFlight = options.maxInFlight ?? 200;
  const inFlight = new Set<Promise<void>>();
  const startedAt = Date.now();
  let sent = 0;
  const reject = (key: string) => {
    tally.rejected[key] = (tally.rejected[key] ?? 0) + 1;
  };
  while (sent < count && Date.now() < endAt && !options.stop?.()) {
    const due = Math.min(count, Math.floor(((Date.now() - startedAt) / 1000) * options.rate) + 1);
    while (sent < due && inFlight.size < maxInFlight) {
      const index = sent;
      sent += 1;
      const request = submitWithRetries(options, index, tally)
        .then((answer) => {
          if (answer.status === 202 && answer.id) tally.accepted.push(answer.id);
          else reject(answer.key);
        })
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(inFlight);
  return tally;
}

/** One job's submit, retried like a client would when `options.retry` says so. */
async function submitWithRetries(
  options: PacedSubmitOptions,
  index: number,
  tally: SubmitTally,
): Promise<{ status: number; id?: string; key: string }> {
  const body = options.body(index);
  const idempotencyKey = options.idempotencyKey?.(index);
  const giveUpAt = Date.now() + (options.retry?.forMs ?? 0);
  for (;;) {
    const answer = await submitOne(options.apiUrl, body, idempotencyKey).catch(
      (error: unknown) => ({ status: 0, code: `network error ${networkCause(error)}` }) as const,
    );
    const key =
      answer.status === 0 ? (answer.code ?? '') : `${answer.status} ${answer.code ?? ''}`.trim();
    if (answer.status === 202 && 'replayed' in answer && answer.replayed) tally.replayed += 1;
    const retryable = answer.status === 503 || answer.status === 0;
    if (!options.retry || !retryable || Date.now() > giveUpAt) return { ...answer, key };
    tally.retried[key] = (tally.retried[key] ?? 0) + 1;
    await new Promise((resolve) => setTimeout(resolve, options.retry?.intervalMs));
  }
}

async function submitOne(
  apiUrl: string,
  body: unknown,
  idempotencyKey?: string,
): Promise<{ status: number; id?: string; code?: string; replayed: boolean }> {
  const response = await fetch(`${apiUrl}/v1/jobs`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${apiKey}`,
      'Content-Type': 'application/json',
      ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  let parsed: { id?: string; error?: { code?: string } } = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // A non-JSON answer is counted by its status alone.
  }
  return {
    status: response.status,
    id: parsed.id,
    code: parsed.error?.code,
    replayed: response.headers.get('idempotent-replayed') === 'true',
  };
}

/** The resident set size of a process in MB, from /proc (Linux), or undefined when gone. */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Least-squares slope of `points` (x in minutes) — the growth per minute of a sampled figure. */
export function slopePerMinute(points: Array<{ minute: number; value: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((sum, point) => sum + point.minute, 0) / n;
  const meanY = points.reduce((sum, point) => sum + point.value, 0) / n;
  let numerator = 0;
  let denominator = 0;
  for (const point of points) {
    numerator += (point.minute - meanX) * (point.value - meanY);
    denominator += (point.minute - meanX) ** 2;
  }
  return denominator === 0 ? 0 : numerator / denominator;
}

/** `TimeoutError`, `ECONNRESET`...: why a request got no answer at all. */
function networkCause(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const { name, cause } = error as { name?: string; cause?: { code?: string; name?: string } };
  return cause?.code ?? cause?.name ?? name ?? 'unknown';
}
