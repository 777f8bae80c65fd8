import type { ModelEntry } from '../catalog/model-catalog';
import { deploymentWaitKey, type ModelDeployment } from '../catalog/model-deployments';
import { type DeploymentChooser, weightedChooser } from '../deployments/deployment-picker';
import type { CallGate, ThrottleReason } from '../limits/call-gate';
import { callRequest } from '../providers/call-request';
import type { GenerateRequest, GenerateResult } from '../providers/language-model';
import type { AttemptRecord } from './attempt-record';
import type { CallRecorder } from './call-journal';
import { type ChainLink, callModel, chatCall, onDeployment } from './call-model';
import type { CircuitBreaker } from './circuit-breaker';
import { isRetryableError, type RetryPolicy, retryDelayMs } from './retry-policy';

/** Where a parked job picks its chain up again. */
export interface ChainResume {
  /** Catalog id of the model to call next. */
  model: string;
  /** Retries of that model already made. */
  retry: number;
  /**
   * The model's deployment whose queue of waiting callers the job took a place in: tried
   * first when it comes back, since that place is what it waited for.
   */
  deployment?: string;
}

export interface RunModelChainOptions {
  /** The models to try, in order (the router's chain). */
  links: readonly ChainLink[];
  /** The request; `headers(n)` adds per-call headers (n counts calls of this job from 1). */
  request: Omit<GenerateRequest, 'headers'>;
  headers?: (callNumber: number) => Record<string, string>;
  /** Calls made before (earlier worker attempts), so call numbers keep counting. */
  previousCalls?: number;
  breaker?: CircuitBreaker;
  /** Provider rate limits asked before every call (see `ProviderRateLimiter`); absent: none. */
  gate?: CallGate;
  /** Records each call as started before it is made (see `call-journal.ts`). */
  recorder?: CallRecorder;
  /** Orders each model's deployments (see `DeploymentPicker`); default: by weight. */
  chooser?: DeploymentChooser;
  policy: RetryPolicy;
  resume?: ChainResume;
  /**
   * Earliest time (epoch ms) each model may be called again, by catalog id: the Retry-After
   * of calls made before this run (an earlier worker attempt, a hedge). See {@link notBeforeOf}.
   */
  notBefore?: Readonly<Record<string, number>>;
  /** Injectable for tests. */
  sleep?: (milliseconds: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/**
 * When each model (or deployment: `model@deployment`, see `deploymentWaitKey`) may next be
 * called, from the Retry-After of earlier calls.
 */
export function notBeforeOf(attempts: readonly AttemptRecord[]): Record<string, number> {
  const notBefore: Record<string, number> = {};
  for (const attempt of attempts) {
    // A flex tier's 429 says nothing about the model's standard capacity.
    if (attempt.retry_after_ms === undefined || attempt.service_tier !== undefined) continue;
    const until = attempt.started_at + Math.ceil(attempt.latency_ms) + attempt.retry_after_ms;
    const key = deploymentWaitKey(attempt.model, attempt.deployment);
    notBefore[key] = Math.max(notBefore[key] ?? 0, until);
  }
  return notBefore;
}

export type ChainOutcome =
  | { kind: 'success'; entry: ModelEntry; answer: GenerateResult; attempts: AttemptRecord[] }
  /**
   * A final error (no retry, no fallback), or every link exhausted: `error` is the last real
   * error, undefined when no model could even be called (all circuits open).
   */
  | { kind: 'failed'; error: unknown; retryable: boolean; attempts: AttemptRecord[] }
  /** The last model asked for a wait longer than the inline limit: park the job, then resume. */
  | {
      kind: 'wait';
      delayMs: number;
      resume: ChainResume;
      /** The error that asked for the wait. */
      error: unknown;
      /** Set when a rate limit (ours, or a model paused for every worker) asked for the wait. */
      throttle?: ThrottleReason;
      attempts: AttemptRecord[];
    };

const realSleep = (milliseconds: number) =>
  new Promise<void>((resolve) => setTimeout(resolve, milliseconds));

/** Why a deployment was set aside for the rest of this run, and how long it asks to wait. */
interface Hold {
  waitMs: number;
  /** A rate limit's reason; undefined for a Retry-After remembered from an earlier call. */
  reason?: ThrottleReason;
}

/**
 * The next deployment to call: the best ranked one not set aside, preferring those that have
 * not failed in this run (a retry moves to another deployment before trying one again).
 */
function nextDeployment(
  order: readonly ModelDeployment[],
  setAside: ReadonlySet<ModelDeployment>,
  failures: ReadonlyMap<ModelDeployment, number>,
): ModelDeployment | undefined {
  let best: ModelDeployment | undefined;
  for (const deployment of order) {
    if (setAside.has(deployment)) continue;
    if (best === undefined || (failures.get(deployment) ?? 0) < (failures.get(best) ?? 0))
      best = deployment;
  }
  return best;
}

/**
 * Runs a fallback chain: each model is retried on retryable errors (full-jitter backoff, never
 * sooner than its Retry-After) up to the policy's limit, then the chain moves to the next model;
 * an open circuit skips a model at once; a final error (400, 401, content refusal…) ends
 * everything with no retry and no fallback. A wait too long to hold a worker slot moves on to
 * the next model when there is one, and otherwise asks the caller to park the job.
 *
 * A model with several deployments is served by the chooser's order: a deployment whose
 * circuit is open, that is paused or out of capacity is set aside and the next one called at
 * once; a retry goes to a deployment that has not failed yet, without backoff, and the model
 * gets at least one call per deployment before the chain falls back to the next model.
 */
export async function runModelChain(options: RunModelChainOptions): Promise<ChainOutcome> {
  const { links, policy, breaker } = options;
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const chooser = options.chooser ?? weightedChooser;
  const attempts: AttemptRecord[] = [];
  let calls = options.previousCalls ?? 0;
  let lastError: unknown;
  let start = 0;
  if (options.resume) {
    const index = links.findIndex((link) => link.entry.id === options.resume?.model);
    if (index >= 0) start = index;
  }

  for (let index = start; index < links.length; index += 1) {
    const link = links[index] as ChainLink;
    const isLast = index === links.length - 1;
    let retry = options.resume && index === start ? options.resume.retry : 0;
    const ranked = await chooser.order(link.entry);
    const resumeAt = options.resume && index === start ? options.resume.deployment : undefined;
    const order =
      resumeAt === undefined
        ? ranked
        : [
            ...ranked.filter((deployment) => deployment.id === resumeAt),
            ...ranked.filter((deployment) => deployment.id !== resumeAt),
          ];
    const maxRetries = Math.max(policy.maxRetriesPerModel, order.length - 1);
    const setAside = new Set<ModelDeployment>();
    const failures = new Map<ModelDeployment, number>();
    /** The shortest wait of the deployments set aside by a wait, if any. */
    let hold: Hold | undefined;
    const holdFor = (deployment: ModelDeployment, next: Hold) => {
      setAside.add(deployment);
      if (hold === undefined || next.waitMs < hold.waitMs) hold = next;
    };
    // With several deployments, each is first only tried: a full one takes no place among its
    // waiting callers while another has room. When all are full, the call waits for the one
    // that frees up first, and only there (one place in one schedule, not one in each).
    const severalDeployments = order.length > 1;
    const tried = new Map<ModelDeployment, number>();
    let waitingOn: ModelDeployment | undefined;
    for (;;) {
      let deployment = nextDeployment(order, setAside, failures);
      if (deployment === undefined && waitingOn === undefined && tried.size > 0) {
        let soonest: ModelDeployment | undefined;
        for (const [candidate, waitMs] of tried) {
          if (soonest === undefined || waitMs < (tried.get(soonest) ?? 0)) soonest = candidate;
        }
        waitingOn = soonest;
        deployment = soonest;
      }
      if (deployment === undefined) {
        if (hold === undefined) break;
        // A model paused by a provider's 429 (or an earlier call's Retry-After) is skipped
        // like its Retry-After: the next model may serve meanwhile. Out of our own capacity,
        // the job waits for this model.
        if ((hold.reason === undefined || hold.reason === 'retry_after') && !isLast) break;
        return {
          kind: 'wait',
          delayMs: hold.waitMs,
          resume: {
            model: link.entry.id,
            retry,
            ...(waitingOn?.id !== undefined ? { deployment: waitingOn.id } : {}),
          },
          error: lastError,
          ...(hold.reason !== undefined ? { throttle: hold.reason } : {}),
          attempts,
        };
      }
      // A deployment that asked an earlier call to wait is not called before that wait is over.
      const earlyBy =
        (options.notBefore?.[deploymentWaitKey(link.entry.id, deployment.id)] ?? 0) - now();
      if (earlyBy > 0) {
        if (earlyBy > policy.maxInlineWaitMs) {
          holdFor(deployment, { waitMs: earlyBy });
          continue;
        }
        await sleep(earlyBy);
      }
      calls += 1;
      const outcome = await callModel(
        chatCall(
          onDeployment(link, deployment),
          callRequest(options.request, { headers: options.headers?.(calls) }),
        ),
        {
          breaker,
          gate: options.gate,
          recorder: options.recorder,
          chooser,
          tryOnly: severalDeployments && waitingOn === undefined,
        },
      );
      if (!outcome.ok && outcome.throttled) {
        calls -= 1;
        // A provider's pause is a real wait already; a full window of ours was only a try.
        if (
          severalDeployments &&
          waitingOn === undefined &&
          outcome.throttled.reason !== 'retry_after' &&
          outcome.throttled.reason !== 'provider_headers'
        ) {
          tried.set(deployment, outcome.throttled.waitMs);
          setAside.add(deployment);
          continue;
        }
        holdFor(deployment, outcome.throttled);
        continue;
      }
      attempts.push(outcome.attempt);
      if (outcome.ok)
        return { kind: 'success', entry: link.entry, answer: outcome.answer, attempts };
      if (!outcome.called) {
        calls -= 1;
        setAside.add(deployment);
        continue;
      }
      if (!isRetryableError(outcome.error)) {
        return { kind: 'failed', error: outcome.error, retryable: false, attempts };
      }
      lastError = outcome.error;
      failures.set(deployment, (failures.get(deployment) ?? 0) + 1);
      if (waitingOn !== undefined) {
        // The call waited for was made and failed: the wait is over, and the deployments set
        // aside only for being full (not for failing) may have room by now. They are tried
        // again before this model's retries run out, not skipped for the next model.
        for (const full of tried.keys()) setAside.delete(full);
        tried.clear();
        waitingOn = undefined;
      }
      if (retry >= maxRetries) break;
      const next = nextDeployment(order, setAside, failures);
      const fresh = next !== undefined && next !== deployment && !failures.has(next);
      const delayMs = fresh ? 0 : retryDelayMs(outcome.error, retry, policy, options.random);
      retry += 1;
      if (delayMs > policy.maxInlineWaitMs) {
        if (!isLast) break;
        return {
          kind: 'wait',
          delayMs,
          resume: { model: link.entry.id, retry },
          error: outcome.error,
          attempts,
        };
      }
      if (!fresh) await sleep(delayMs);
    }
  }
  return { kind: 'failed', error: lastError, retryable: true, attempts };
}
