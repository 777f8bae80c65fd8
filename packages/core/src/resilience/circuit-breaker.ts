import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from '../redis/redis-keys';
import type { OpenCall } from './call-journal';
import { acquireScript, recordScript } from './circuit-breaker-scripts';

export const circuitStateSchema = z.enum(['closed', 'open', 'half_open']);
export type CircuitState = z.infer<typeof circuitStateSchema>;

/** When a circuit opens and how it recovers. Shared by every worker through Redis. */
export interface CircuitBreakerOptions {
  /** Opens after this many failures in a row (env `CIRCUIT_CONSECUTIVE_FAILURES`, default 5). */
  consecutiveFailures: number;
  /** Opens when failures / calls in the window reach this (env `CIRCUIT_FAILURE_RATIO`, default 0.5). */
  failureRatio: number;
  /** …but only once the window holds this many calls (env `CIRCUIT_MIN_REQUESTS`, default 20). */
  minimumRequests: number;
  /** Length of the failure-ratio window, ms (env `CIRCUIT_WINDOW_MS`, default 30000). */
  windowMs: number;
  /** How long an open circuit refuses calls before a probe, ms (env `CIRCUIT_COOLDOWN_MS`, default 30000). */
  cooldownMs: number;
  /** Probe calls let through at once while half-open (env `CIRCUIT_HALF_OPEN_PROBES`, default 1). */
  halfOpenProbes: number;
  /** A probe slot not reported back within this long, ms, is freed (its worker died). Default 60000. */
  probeTimeoutMs: number;
  /**
   * How long a non-probe success waits to be sent with the others of its circuit, ms
   * (default 100; 0 sends each at once). See {@link CircuitBreaker.recordSuccessInBackground}.
   * Each batch is a timer's wake-up, a script and its reply in the worker and in Redis: at one
   * request at a time (~250 jobs/s) a 10 ms batch held ~2 successes, one record per two jobs.
   */
  successBatchMs: number;
}

export const defaultCircuitBreakerOptions: CircuitBreakerOptions = {
  consecutiveFailures: 5,
  failureRatio: 0.5,
  minimumRequests: 20,
  windowMs: 30_000,
  cooldownMs: 30_000,
  halfOpenProbes: 1,
  probeTimeoutMs: 60_000,
  successBatchMs: 100,
};

/** What a caller may do: call (`closed`), call as the half-open probe, or skip the model. */
export type CircuitPermit =
  | { allowed: true; probe: boolean }
  | { allowed: false; state: 'open' | 'half_open'; retryAt: number }
  /** The hold flag passed to `acquire` is set: its value and how long it still holds, ms. */
  | { allowed: false; state: 'held'; holdValue: string; waitMs: number }
  /** The call's start gate (`OpenCall.gate`) was shut: its job's start had not let it in. */
  | { allowed: false; state: 'gated' };

/** The state of one circuit, as {@link CircuitBreaker.getCircuitStates} reports it. */
export interface CircuitSnapshot {
  provider: string;
  model: string;
  state: CircuitState;
  consecutiveFailures: number;
  windowRequests: number;
  windowFailures: number;
  /** When an open circuit lets a probe through (epoch ms); absent unless open. */
  openUntil?: number;
  /** How many times it opened since it was created. */
  timesOpened: number;
}

/** A state change, for logs and metrics (`circuit-open`, `circuit-close`). */
export interface CircuitTransition {
  provider: string;
  model: string;
  from: CircuitState;
  to: CircuitState;
}

/**
 * Circuit breakers per provider model, kept in Redis so every worker process sees and drives
 * the same state: closed → open after N consecutive failures or a failure ratio over a window
 * (with a minimum number of calls) → half-open after the cooldown, letting a limited number of
 * probes through → closed on a successful probe, open again on a failed one.
 */
export class CircuitBreaker {
  private readonly options: CircuitBreakerOptions;
  /** Non-probe successes not sent yet, by circuit key: how many, and the latest one's time. */
  private readonly pendingSuccesses = new Map<string, { count: number; at: number }>();
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: Partial<CircuitBreakerOptions> = {},
    private readonly onTransition?: (transition: CircuitTransition) => void,
    /** A write nobody waited for ({@link recordSuccessInBackground}) failed; logged, not thrown. */
    private readonly onBackgroundError?: (error: unknown) => void,
  ) {
    this.options = { ...defaultCircuitBreakerOptions, ...options };
  }

  /**
   * Asks to call `model` of `provider`; a refused caller should move on to its fallback.
   * @param holdFlag a key read in the same step (a rate pause, `RedisKeys.ratePause`): while
   *   it is set the call is refused as `held` and nothing is taken (no half-open probe slot),
   *   so a caller can check it without a round trip of its own and without a race against
   *   another worker setting it.
   * @param openCall the call's journal record (`CallRecorder.openCall`), written in the same
   *   step if the call is let through, and only then.
   */
  async acquire(
    provider: string,
    model: string,
    now: number = Date.now(),
    holdFlag?: string,
    openCall?: OpenCall,
  ): Promise<CircuitPermit> {
    const keys = [this.keys.circuit(provider, model)];
    if (holdFlag !== undefined) keys.push(holdFlag);
    const args: Array<string | number> = [
      now,
      this.options.halfOpenProbes,
      this.options.probeTimeoutMs,
    ];
    if (openCall) {
      if (openCall.gate !== undefined) keys.push(openCall.gate);
      keys.push(openCall.journal);
      args.push(openCall.id, openCall.attempt, openCall.ttlSeconds);
      if (openCall.gate !== undefined) args.push('1');
    }
    const [verdict, probe, retryAt] = (await acquireScript.run(this.redis, keys, args)) as [
      string,
      string,
      number,
    ];
    if (verdict === 'gated') return { allowed: false, state: 'gated' };
    if (verdict === 'held') {
      return { allowed: false, state: 'held', holdValue: probe, waitMs: Number(retryAt) };
    }
    if (verdict === 'allowed') {
      if (probe === '1') this.onTransition?.({ provider, model, from: 'open', to: 'half_open' });
      return { allowed: true, probe: probe === '1' };
    }
    return {
      allowed: false,
      state: circuitStateSchema.parse(verdict) as 'open' | 'half_open',
      retryAt: Number(retryAt),
    };
  }

  /**
   * Reports a call's outcome. Only calls that speak about the model's health should be
   * reported (see `isHealthFailure`); `probe` is the permit's flag.
   * @returns the circuit's state afterwards
   */
  async record(
    provider: string,
    model: string,
    outcome: 'success' | 'failure',
    probe: boolean,
    now: number = Date.now(),
  ): Promise<CircuitState> {
    const circuit = this.keys.circuit(provider, model);
    // This worker's earlier successes go first, on the same connection: they happened before.
    if (this.pendingSuccesses.has(circuit)) void this.sendSuccesses(circuit);
    const [before, after] = await this.runRecord(circuit, outcome, probe, now, 1);
    const from = circuitStateSchema.parse(before);
    const to = circuitStateSchema.parse(after);
    if (from !== to) this.onTransition?.({ provider, model, from, to });
    return to;
  }

  private async runRecord(
    circuit: string,
    outcome: 'success' | 'failure',
    probe: boolean,
    now: number,
    calls: number,
  ): Promise<[string, string]> {
    const options = this.options;
    return (await recordScript.run(
      this.redis,
      [circuit, this.keys.circuits()],
      [
        now,
        outcome,
        probe ? 1 : 0,
        options.consecutiveFailures,
        options.failureRatio,
        options.minimumRequests,
        options.windowMs,
        options.cooldownMs,
        calls,
      ],
    )) as [string, string];
  }

  /**
   * Reports a success of a call that was not a probe, without making the caller wait for it:
   * with the circuit closed (the only state that lets a non-probe call through) it just resets
   * the consecutive failures and feeds the failure-ratio window, which no answer depends on.
   * The successes of a circuit are counted here for up to `successBatchMs` and sent as one
   * script (one per circuit per batch, not one per call). Sent late, they still change nothing
   * on a circuit another worker opened meanwhile, and do not reset failures recorded after the
   * batch's latest success (the script compares times); a probe's outcome is never batched
   * ({@link record}). This worker's next {@link record} of the circuit sends them first, on
   * the same connection, so they land before it. A failed write goes to `onBackgroundError`.
   */
  recordSuccessInBackground(provider: string, model: string, now: number = Date.now()): void {
    const circuit = this.keys.circuit(provider, model);
    const pending = this.pendingSuccesses.get(circuit);
    if (pending) {
      pending.count += 1;
      pending.at = Math.max(pending.at, now);
    } else {
      this.pendingSuccesses.set(circuit, { count: 1, at: now });
    }
    if (this.options.successBatchMs <= 0) {
      void this.sendSuccesses(circuit);
      return;
    }
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => void this.flushSuccesses(), this.options.successBatchMs);
    this.flushTimer.unref();
  }

  /** Sends every success not sent yet (also before the connection is closed). */
  async flushSuccesses(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    await Promise.all(
      [...this.pendingSuccesses.keys()].map((circuit) => this.sendSuccesses(circuit)),
    );
  }

  private sendSuccesses(circuit: string): Promise<void> {
    const pending = this.pendingSuccesses.get(circuit);
    if (!pending) return Promise.resolve();
    this.pendingSuccesses.delete(circuit);
    // The same script as every other record: were it a script of its own, a NOSCRIPT reply
    // (Redis restarted) would resend it as EVAL after a record sent behind it.
    return this.runRecord(circuit, 'success', false, pending.at, pending.count).then(
      () => undefined,
      (error: unknown) => this.onBackgroundError?.(error),
    );
  }

  /**
   * Every known circuit's state, for the metrics exporter and operators; with the successes
   * this breaker has still to send sent first, so it shows what this process recorded.
   */
  async getCircuitStates(): Promise<CircuitSnapshot[]> {
    await this.flushSuccesses();
    const circuitKeys = await this.redis.smembers(this.keys.circuits());
    if (circuitKeys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of circuitKeys) pipeline.hgetall(key);
    const replies = (await pipeline.exec()) ?? [];
    const marker = this.keys.circuit('', '').slice(0, -1);
    const snapshots: CircuitSnapshot[] = [];
    circuitKeys.forEach((key, index) => {
      const fields = (replies[index]?.[1] ?? {}) as Record<string, string>;
      const rest = key.slice(marker.length);
      const separator = rest.indexOf(':');
      const state = circuitStateSchema.safeParse(fields.state ?? 'closed');
      snapshots.push({
        provider: rest.slice(0, separator),
        model: rest.slice(separator + 1),
        state: state.success ? state.data : 'closed',
        consecutiveFailures: Number(fields.failures ?? 0),
        windowRequests: Number(fields.win_total ?? 0),
        windowFailures: Number(fields.win_fail ?? 0),
        ...(fields.state === 'open' ? { openUntil: Number(fields.open_until ?? 0) } : {}),
        timesOpened: Number(fields.opened ?? 0),
      });
    });
    return snapshots.sort((a, b) =>
      `${a.provider}:${a.model}`.localeCompare(`${b.provider}:${b.model}`),
    );
  }
}
