import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ModelCatalog, ModelEntry } from '../catalog/model-catalog';
import { deploymentsOf, type ModelDeployment } from '../catalog/model-deployments';
import { perWindow, type RateLimits } from '../catalog/rate-limits';
import type { RateLimitInfo } from '../providers/language-model';
import { maxOutputTokensOf } from '../providers/max-output-tokens';
import { isProviderError } from '../providers/provider-error';
import type { RedisKeys } from '../redis/redis-keys';
import type {
  CallAdmission,
  CallGate,
  CallGateFactory,
  CallSettlement,
  GateAdmitOptions,
  GateRequest,
  ThrottleReason,
} from './call-gate';
import { pauseScript, reconcileScript, reserveScript } from './rate-limit-scripts';

/** How the limiter behaves; every field is a worker env variable (see README). */
export interface ProviderRateLimiterOptions {
  /**
   * Waits up to this long, ms, are slept inside the worker attempt; longer ones make the
   * call's job park in BullMQ's delayed set (env `RATE_LIMIT_MAX_SLEEP_MS`, default 250).
   */
  maxSleepMs: number;
  /**
   * A reservation keeps counting this long past its window, ms (env
   * `RATE_LIMIT_WINDOW_MARGIN_MS`, default 250): the provider counts a request when it
   * arrives, a little after we reserved it, and a late arrival must not share a window with
   * the request that took its slot.
   */
  windowMarginMs: number;
  /**
   * How late after its reservation a call may reach the provider, ms (env
   * `RATE_LIMIT_ARRIVAL_ALLOWANCE_MS`, default 5000). A busy worker may send a call well
   * after reserving it, and the provider counts it when it arrives, never after it answered:
   * a reservation is dated this far ahead while its call runs, then re-dated to the call's
   * end when that is earlier. The cap keeps a long generation (or a crashed worker's
   * reservation) from holding its slot for long.
   */
  arrivalAllowanceMs: number;
  /**
   * Completion tokens reserved for a call that sends no output limit, capped by the model's
   * `max_output_tokens` (env `RATE_LIMIT_OUTPUT_TOKENS`, default 1024).
   */
  defaultOutputTokens: number;
  /**
   * The model pauses until the provider's `x-ratelimit-reset-requests` when its
   * `x-ratelimit-remaining-requests` is at or under this (env
   * `RATE_LIMIT_RESERVE_REQUESTS`, default 0).
   */
  headerReserveRequests: number;
  /** Same for tokens (env `RATE_LIMIT_RESERVE_TOKENS`, default 0). */
  headerReserveTokens: number;
}

export const defaultProviderRateLimiterOptions: ProviderRateLimiterOptions = {
  maxSleepMs: 250,
  windowMarginMs: 250,
  arrivalAllowanceMs: 5000,
  defaultOutputTokens: 1024,
  headerReserveRequests: 0,
  headerReserveTokens: 0,
};

/** A call that had to wait: slept in the worker (`sleep`) or handed back to park (`defer`). */
export interface RateLimitWaitEvent {
  provider: string;
  /** Catalog model id. */
  model: string;
  /** The deployment that had to wait; absent for a model without deployments. */
  deployment?: string;
  reason: ThrottleReason;
  waitMs: number;
  action: 'sleep' | 'defer';
  logFields?: Readonly<Record<string, unknown>>;
}

/** A model paused for every worker. */
export interface RateLimitPauseEvent {
  provider: string;
  model: string;
  /** The deployment paused; absent for a model without deployments. */
  deployment?: string;
  reason: 'retry_after' | 'provider_headers';
  pauseMs: number;
  logFields?: Readonly<Record<string, unknown>>;
}

/** Metrics and logs, wired by the worker; each may be absent. */
export interface ProviderRateLimiterListeners {
  onWait?: (event: RateLimitWaitEvent) => void;
  onPause?: (event: RateLimitPauseEvent) => void;
  /** A Redis failure while settling a call (the call itself is not failed for it). */
  onError?: (error: unknown) => void;
}

/** The rate-limit window scope of one deployment (its own limits, not its account's). */
export function deploymentRateScope(deployment: ModelDeployment): string {
  return `model:${deployment.account}:${deployment.stateModel}`;
}

/** The deployment a call without one goes to: the implicit one, or the catalog's first. */
function firstDeployment(entry: ModelEntry): ModelDeployment {
  return deploymentsOf(entry)[0] as ModelDeployment;
}

/** One limited scope a call counts against: the deployment, or its provider account. */
export interface Bucket {
  log: string;
  tokens: string;
  windowMs: number;
  maxRequests: number;
  maxTokens: number;
}

/** What the Lua reservation answered. */
export type Reservation =
  | {
      ok: true;
      id: string;
      /** The pause flag left unread for the caller (see `CallAdmission`'s `pauseFlag`). */
      pauseFlag?: string;
    }
  | { ok: false; waitMs: number; reason: ThrottleReason };

const throttleReasons: ReadonlySet<string> = new Set([
  'rpm',
  'tpm',
  'retry_after',
  'provider_headers',
]);

/** Reconcile arguments: remove the reservation (no call made), or keep its estimate. */
const removeReservation = -1;
const keepEstimate = -2;

/** Short waits slept in a row before the call is handed back to park (slots may be retaken). */
const maxSleepRounds = 4;

/** The most a parked job's return from a pause is spread by, ms. */
const maxPauseJitterMs = 1000;

const realSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/**
 * Provider RPM/TPM limits shared by every worker through Redis. Before a call, one Lua script
 * checks the model's pause flag and reserves one request plus the estimated tokens in the
 * sliding window of the model and of its provider account, atomically; after the call the
 * estimate is replaced by the provider's reported usage. A 429 with Retry-After, or headers
 * saying nothing remains, pause the model for every worker until the provider's reset.
 */
export class ProviderRateLimiter implements CallGateFactory {
  private readonly options: ProviderRateLimiterOptions;
  private readonly buckets = new Map<string, Bucket[]>();
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private sequence = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly catalog: ModelCatalog,
    options: Partial<ProviderRateLimiterOptions> = {},
    private readonly listeners: ProviderRateLimiterListeners = {},
    private readonly sleep: (milliseconds: number) => Promise<void> = realSleep,
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...defaultProviderRateLimiterOptions, ...options };
  }

  /** The gate of one request: its token estimate is the prompt plus its `max_tokens`. */
  gateFor(request: GateRequest): CallGate {
    return {
      admit: (entry, deployment, options) =>
        this.admit(
          entry,
          this.estimateTokens(entry, request),
          request.logFields,
          deployment,
          options,
        ),
    };
  }

  /**
   * Tokens reserved for one call: the prompt, plus the output limit the model's adapter sends
   * (`maxOutputTokensOf`: Anthropic's default and thinking budget when the request sets none),
   * or the default answer size when it sends none; once per answer the call produces.
   */
  estimateTokens(
    entry: ModelEntry,
    request: Pick<GateRequest, 'inputTokens' | 'maxTokens' | 'reasoning' | 'answers'>,
  ) {
    const output =
      (request.answers ?? 1) *
      maxOutputTokensOf(entry, request, {
        maxTokensDefault: this.catalog.maxTokensDefaultOf(entry),
        unlimited: this.options.defaultOutputTokens,
      });
    return Math.max(0, Math.ceil(request.inputTokens)) + Math.max(0, Math.ceil(output));
  }

  /**
   * Reserves a call, sleeping through refusals of at most `maxSleepMs` (at most a few times:
   * under contention a slot can be taken again while we sleep), else refuses with the wait.
   */
  async admit(
    entry: ModelEntry,
    tokens: number,
    logFields?: Readonly<Record<string, unknown>>,
    deployment: ModelDeployment = firstDeployment(entry),
    options: GateAdmitOptions = {},
  ): Promise<CallAdmission> {
    const buckets = this.bucketsOf(entry, deployment);
    for (let round = 0; ; round += 1) {
      const reservation = await this.reserve(entry, tokens, deployment, options);
      if (reservation.ok) {
        return {
          admitted: true,
          ...(reservation.pauseFlag !== undefined ? { pauseFlag: reservation.pauseFlag } : {}),
          settle: (outcome) =>
            this.settle(entry, deployment, buckets, reservation.id, outcome, logFields),
          release: () => this.reconcile(buckets, reservation.id, removeReservation),
        };
      }
      const { reason } = reservation;
      let { waitMs } = reservation;
      // A try is not a wait yet: the caller asks the model's other deployments first.
      if (options.tryOnly) return { admitted: false, waitMs, reason };
      const sleep = waitMs <= this.options.maxSleepMs && round < maxSleepRounds;
      // Jobs parked until a pause ends would all come back at that instant; a little jitter
      // spreads them (windows of our own limits spread their callers already, in the script).
      if (!sleep && (reason === 'retry_after' || reason === 'provider_headers')) {
        waitMs += Math.floor(this.random() * Math.min(waitMs * 0.2, maxPauseJitterMs));
      }
      this.listeners.onWait?.({
        provider: deployment.provider,
        model: entry.id,
        ...(deployment.id !== undefined ? { deployment: deployment.id } : {}),
        reason,
        waitMs,
        action: sleep ? 'sleep' : 'defer',
        logFields,
      });
      if (!sleep) return { admitted: false, waitMs, reason };
      await this.sleep(waitMs);
    }
  }

  /**
   * One reservation attempt (no sleeping): the Lua script over the model's buckets. With
   * `deferPause` and no bucket to count in, no script at all: the pause flag is handed back
   * unread (see `GateAdmitOptions`).
   */
  async reserve(
    entry: ModelEntry,
    tokens: number,
    deployment: ModelDeployment = firstDeployment(entry),
    { tryOnly = false, deferPause = false }: GateAdmitOptions = {},
  ): Promise<Reservation> {
    const buckets = this.bucketsOf(entry, deployment);
    this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER;
    const id = `${this.idPrefix}.${this.sequence.toString(36)}`;
    const flag = this.keys.ratePause(deployment.account, deployment.stateModel);
    if (deferPause && buckets.length === 0) return { ok: true, id, pauseFlag: flag };
    const keys = [flag];
    const args: Array<string | number> = [
      id,
      Math.ceil(tokens),
      buckets.length,
      this.options.arrivalAllowanceMs,
    ];
    for (const bucket of buckets) {
      keys.push(bucket.log, bucket.tokens);
      args.push(bucket.windowMs, bucket.maxRequests, bucket.maxTokens);
    }
    if (tryOnly) args.push(1);
    const answer = (await reserveScript.run(this.redis, keys, args)) as [number, number?, string?];
    if (answer[0] === 1) return { ok: true, id };
    const reason = String(answer[2]);
    return {
      ok: false,
      waitMs: Math.max(1, Number(answer[1])),
      reason: throttleReasons.has(reason) ? (reason as ThrottleReason) : 'retry_after',
    };
  }

  /**
   * Pauses a model's deployment (default: its first) for every worker: no call is admitted
   * before `pauseMs` from now (an existing longer pause is kept). Its other deployments go on.
   */
  async pause(
    entry: ModelEntry,
    pauseMs: number,
    reason: 'retry_after' | 'provider_headers',
    deployment: ModelDeployment = firstDeployment(entry),
  ) {
    const milliseconds = Math.ceil(pauseMs);
    if (milliseconds <= 0) return false;
    const flag = this.keys.ratePause(deployment.account, deployment.stateModel);
    const set = await pauseScript.run(this.redis, [flag], [milliseconds, reason]);
    return set === 1;
  }

  private async settle(
    entry: ModelEntry,
    deployment: ModelDeployment,
    buckets: Bucket[],
    id: string,
    outcome: CallSettlement,
    logFields: Readonly<Record<string, unknown>> | undefined,
  ): Promise<void> {
    try {
      if (outcome.ok) {
        const { usage, rateLimit } = outcome;
        await this.reconcile(buckets, id, usage.inputTokens + usage.outputTokens);
        const pauseMs = rateLimit ? this.headerPauseMs(rateLimit) : 0;
        if (pauseMs > 0)
          await this.pauseAndTell(entry, deployment, pauseMs, 'provider_headers', logFields);
        return;
      }
      const { error } = outcome;
      // A failed call keeps its estimate: the provider may well have counted it.
      await this.reconcile(buckets, id, keepEstimate);
      if (
        isProviderError(error) &&
        error.code === 'rate_limited' &&
        error.retryAfterMs !== undefined &&
        error.retryAfterMs > 0
      ) {
        await this.pauseAndTell(entry, deployment, error.retryAfterMs, 'retry_after', logFields);
      }
    } catch (error) {
      this.listeners.onError?.(error);
    }
  }

  private async pauseAndTell(
    entry: ModelEntry,
    deployment: ModelDeployment,
    pauseMs: number,
    reason: 'retry_after' | 'provider_headers',
    logFields: Readonly<Record<string, unknown>> | undefined,
  ): Promise<void> {
    if (await this.pause(entry, pauseMs, reason, deployment)) {
      this.listeners.onPause?.({
        provider: deployment.provider,
        model: entry.id,
        ...(deployment.id !== undefined ? { deployment: deployment.id } : {}),
        reason,
        pauseMs: Math.ceil(pauseMs),
        logFields,
      });
    }
  }

  /** How long the provider's headers say to hold off: until a reset of what is spent. */
  private headerPauseMs(info: RateLimitInfo): number {
    let pauseMs = 0;
    if (
      info.remainingRequests !== undefined &&
      info.remainingRequests <= this.options.headerReserveRequests
    ) {
      pauseMs = Math.max(pauseMs, info.resetRequestsMs ?? 0);
    }
    if (
      info.remainingTokens !== undefined &&
      info.remainingTokens <= this.options.headerReserveTokens
    ) {
      pauseMs = Math.max(pauseMs, info.resetTokensMs ?? 0);
    }
    return pauseMs;
  }

  /** Settles a reservation: actual tokens, or {@link keepEstimate}, or {@link removeReservation}. */
  private async reconcile(buckets: Bucket[], id: string, tokens: number): Promise<void> {
    if (buckets.length === 0) return;
    try {
      await reconcileScript.run(
        this.redis,
        buckets.flatMap((bucket) => [bucket.log, bucket.tokens]),
        [id, tokens < 0 ? tokens : Math.ceil(tokens)],
      );
    } catch (error) {
      this.listeners.onError?.(error);
    }
  }

  /**
   * The deployment's own limits and its provider account's, when the catalog sets them. A
   * deployment with its own key is an account of its own: `provider_limits` do not apply.
   */
  bucketsOf(entry: ModelEntry, deployment: ModelDeployment = firstDeployment(entry)): Bucket[] {
    const cacheKey = `${deployment.account}\n${deployment.stateModel}\n${entry.id}`;
    const cached = this.buckets.get(cacheKey);
    if (cached) return cached;
    const buckets: Bucket[] = [];
    const add = (scope: string, limits: RateLimits | undefined) => {
      if (!limits) return;
      buckets.push({
        log: this.keys.rateWindowLog(scope),
        tokens: this.keys.rateWindowTokens(scope),
        windowMs: limits.window_ms + this.options.windowMarginMs,
        maxRequests: perWindow(limits.rpm, limits.window_ms),
        maxTokens: perWindow(limits.tpm, limits.window_ms),
      });
    };
    add(deploymentRateScope(deployment), deployment.rate_limits);
    add(`account:${deployment.account}`, this.catalog.limitsOfProvider(deployment.account));
    this.buckets.set(cacheKey, buckets);
    return buckets;
  }
}
