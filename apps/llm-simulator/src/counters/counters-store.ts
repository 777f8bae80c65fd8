import type { RecordedRequest, SimulatorCounters } from './simulator-counters';

/** How many recorded requests `recent` keeps. */
export const RECENT_REQUEST_CAPACITY = 20_000;

/** Counts every call to a model route and keeps the latest ones in a ring buffer. */
export class CountersStore {
  #total = 0;
  #byRoute = new Map<string, number>();
  #byModel = new Map<string, number>();
  #byStatus = new Map<string, number>();
  #faults = new Map<string, number>();
  #inputTokens = 0;
  #outputTokens = 0;
  #rateLimited = 0;
  #recent: RecordedRequest[] = [];
  #next = 0;

  constructor(private readonly capacity = RECENT_REQUEST_CAPACITY) {}

  /** Counts one call; `tokens` are added to the totals when given (answers with status 200). */
  record(request: RecordedRequest, tokens?: { input: number; output: number }): void {
    this.#total += 1;
    increment(this.#byRoute, request.route);
    if (request.model !== '') increment(this.#byModel, request.model);
    increment(this.#byStatus, String(request.status));
    if (request.fault !== undefined) increment(this.#faults, request.fault);
    if (request.limitedBy !== undefined) this.#rateLimited += 1;
    if (tokens) {
      this.#inputTokens += tokens.input;
      this.#outputTokens += tokens.output;
    }
    if (this.#recent.length < this.capacity) {
      this.#recent.push(request);
    } else {
      this.#recent[this.#next] = request;
    }
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** A copy of the counters. */
  snapshot(): SimulatorCounters {
    const recent =
      this.#recent.length < this.capacity
        ? this.#recent.slice()
        : [...this.#recent.slice(this.#next), ...this.#recent.slice(0, this.#next)];
    return {
      total: this.#total,
      byRoute: Object.fromEntries(this.#byRoute),
      byModel: Object.fromEntries(this.#byModel),
      byStatus: Object.fromEntries(this.#byStatus),
      inputTokens: this.#inputTokens,
      outputTokens: this.#outputTokens,
      faults: Object.fromEntries(this.#faults),
      rateLimited: this.#rateLimited,
      recent: recent.map((request) => ({ ...request, headers: { ...request.headers } })),
    };
  }

  /** Back to zero. */
  reset(): void {
    this.#total = 0;
    this.#byRoute.clear();
    this.#byModel.clear();
    this.#byStatus.clear();
    this.#faults.clear();
    this.#inputTokens = 0;
    this.#outputTokens = 0;
    this.#rateLimited = 0;
    this.#recent = [];
    this.#next = 0;
  }
}

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
