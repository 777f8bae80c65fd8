import type { ModelEntry } from '../catalog/model-catalog';
import { deploymentsOf, type ModelDeployment } from '../catalog/model-deployments';
import { costOfUsage } from '../catalog/model-pricing';
import type { ServiceTier } from '../catalog/service-tier';
import type { DeploymentChooser } from '../deployments/deployment-picker';
import type { CallAdmission, CallGate, ThrottleReason } from '../limits/call-gate';
import type {
  GenerateRequest,
  GenerateResult,
  LanguageModel,
  RateLimitInfo,
  Usage,
} from '../providers/language-model';
import { isProviderError } from '../providers/provider-error';
import type { AttemptRecord } from './attempt-record';
import type { CallRecorder, OpenCall } from './call-journal';
import type { CircuitBreaker, CircuitPermit } from './circuit-breaker';
import { isHealthFailure } from './retry-policy';
import { type TokenCounts, toAttemptUsage } from './usage-records';

/**
 * One model of a chain, with the adapter that calls it (undefined: provider not configured).
 * A model with several deployments has one adapter per deployment: `modelFor` hands it out,
 * and `deployment` says which one `model` is (absent: the entry's first or only one).
 */
export interface ChainLink {
  entry: ModelEntry;
  model: LanguageModel | undefined;
  deployment?: ModelDeployment;
  modelFor?: (deployment: ModelDeployment) => LanguageModel | undefined;
}

/** The link bound to one of its model's deployments. */
export function onDeployment(link: ChainLink, deployment: ModelDeployment): ChainLink {
  if (link.deployment === deployment) return link;
  // Listed, not spread: a spread would read a lazy link's `model` (making the first
  // deployment's adapter for nothing) and copy its private state.
  const bound: ChainLink = {
    entry: link.entry,
    model: link.modelFor ? link.modelFor(deployment) : link.model,
    deployment,
  };
  if (link.modelFor) bound.modelFor = link.modelFor;
  return bound;
}

/**
 * One call of one model, of any kind (chat, embeddings, completions): how to make it, and
 * what its answer used (priced on the attempt record, settled with the rate limiter).
 */
export interface ModelCall<Answer> {
  entry: ModelEntry;
  /** Where the call goes; absent: the entry's first (or only, implicit) deployment. */
  deployment?: ModelDeployment;
  /** The tier the call runs on, priced at its prices; absent: standard. */
  tier?: ServiceTier;
  /** Makes the call; undefined when the entry's provider has no adapter for it. */
  send: (() => Promise<Answer>) | undefined;
  /** The tokens an answer used, and the rate-limit facts the provider sent with it. */
  usageOf(answer: Answer): { usage: TokenCounts & Partial<Usage>; rateLimit?: RateLimitInfo };
}

/** A chat call of one link of a chain (see {@link ModelCall}). */
export function chatCall(link: ChainLink, request: GenerateRequest): ModelCall<GenerateResult> {
  const { entry, model } = link;
  return {
    entry,
    ...(link.deployment ? { deployment: link.deployment } : {}),
    ...(request.serviceTier ? { tier: request.serviceTier } : {}),
    send: model && (() => model.generate(request)),
    usageOf: (answer) => ({ usage: answer.usage, rateLimit: answer.rateLimit }),
  };
}

export type CallOutcome<Answer = GenerateResult> =
  | { ok: true; answer: Answer; attempt: AttemptRecord }
  | {
      ok: false;
      error: unknown;
      attempt: AttemptRecord;
      called: boolean;
      /** Not called because a rate limit asks to wait this long first (not an attempt). */
      throttled?: { waitMs: number; reason: ThrottleReason };
    };

/** What guards one call: the model's circuit breaker and the request's rate-limit gate. */
export interface CallGuards {
  breaker?: CircuitBreaker;
  gate?: CallGate;
  /** Records the call as started just before it is made (see `call-journal.ts`). */
  recorder?: CallRecorder;
  /** Hears each call's start and latency (the `least-busy` and `lowest-latency` picks). */
  chooser?: Pick<DeploymentChooser, 'track'>;
  /**
   * Ask the gate for a try only (see `CallGate.admit`): the model has other deployments to ask
   * before this call should wait.
   */
  tryOnly?: boolean;
  now?: () => number;
}

/**
 * One call of one model (see {@link chatCall}), guarded by its rate limits and its circuit breaker: reserves
 * capacity first (a refusal skips the call and says how long to wait), asks the breaker
 * (an open circuit skips the call), reports the outcome to both after, and describes the
 * try as an {@link AttemptRecord}. No retries here: the chain runner owns them.
 */
export async function callModel<Answer>(
  call: ModelCall<Answer>,
  guards: CallGuards = {},
): Promise<CallOutcome<Answer>> {
  const { breaker, now = Date.now } = guards;
  const { entry, send } = call;
  const deployment = call.deployment ?? (deploymentsOf(entry)[0] as ModelDeployment);
  // The implicit deployment's circuit is keyed as it always was: provider and upstream model.
  const circuit = { account: deployment.account, model: deployment.stateModel };
  const startedAt = now();
  // Each record is one literal, not a spread of shared fields given more keys: on Node 20 such
  // a copy costs ~1 µs and gets a hidden class of its own, so every later read of the record
  // (ledger, journal, result, metrics) misses its inline caches.
  const attemptOf = (
    outcome: AttemptRecord['outcome'],
    errorCode: AttemptRecord['error_code'],
    latency: number,
    cost = 0,
  ): AttemptRecord => ({
    provider: deployment.provider,
    model: entry.id,
    ...(deployment.id !== undefined ? { deployment: deployment.id } : {}),
    started_at: startedAt,
    cost_usd: cost,
    ...(call.tier !== undefined && call.tier !== 'standard' ? { service_tier: call.tier } : {}),
    outcome,
    ...(errorCode !== undefined ? { error_code: errorCode } : {}),
    latency_ms: latency,
  });
  if (!send) {
    return {
      ok: false,
      called: false,
      error: undefined,
      attempt: attemptOf('skipped', 'model_unavailable', 0),
    };
  }
  const guarded = await guardCall(call, guards, deployment, startedAt);
  if (!guarded.go) {
    const { throttled } = guarded;
    return {
      ok: false,
      called: false,
      error: undefined,
      ...(throttled ? { throttled } : {}),
      attempt: attemptOf('skipped', throttled ? 'rate_limited' : 'circuit_open', 0),
    };
  }
  const { admission, permit } = guarded;
  const end = guards.chooser?.track(entry, deployment);
  const started = performance.now();
  try {
    const answer = await send();
    const latency = round(performance.now() - started);
    end?.(latency);
    const { usage, rateLimit } = call.usageOf(answer);
    // A probe's success closes the circuit: awaited, alongside the rate-limit settlement. Any
    // other success only feeds the closed circuit's counts: the job does not wait for it.
    if (breaker && !permit.probe) breaker.recordSuccessInBackground(circuit.account, circuit.model);
    await Promise.all([
      admission?.settle({ ok: true, usage, rateLimit }),
      permit.probe && breaker
        ? breaker.record(circuit.account, circuit.model, 'success', true)
        : undefined,
    ]);
    const attempt = attemptOf('success', undefined, latency, costOfUsage(entry, usage, call.tier));
    attempt.usage = toAttemptUsage(usage);
    return { ok: true, answer, attempt };
  } catch (error) {
    const latency = round(performance.now() - started);
    end?.(undefined);
    await admission?.settle({ ok: false, error });
    const aborted = isProviderError(error) && error.code === 'aborted';
    // An aborted call (a losing hedge) or one cut by this process closing its connections says
    // nothing about the model; a probe's slot times out.
    const saysNothing = aborted || (isProviderError(error) && error.code === 'client_closed');
    if (breaker && !saysNothing && (isHealthFailure(error) || permit.probe)) {
      // A probe answered with a non-health error (a 429, a 400) still proves the model is up.
      await breaker.record(
        circuit.account,
        circuit.model,
        isHealthFailure(error) ? 'failure' : 'success',
        permit.probe,
      );
    }
    const attempt = attemptOf(aborted ? 'aborted' : 'error', undefined, latency);
    if (isProviderError(error)) {
      attempt.error_code = error.code;
      if (error.statusCode !== undefined) attempt.status_code = error.statusCode;
      if (error.retryAfterMs !== undefined) attempt.retry_after_ms = error.retryAfterMs;
    }
    return { ok: false, called: true, error, attempt };
  }
}

type GuardedCall =
  | {
      go: true;
      admission: Extract<CallAdmission, { admitted: true }> | undefined;
      permit: Extract<CircuitPermit, { allowed: true }>;
    }
  /** Skipped: a rate limit asks to wait (`throttled`), else the circuit is open. */
  | { go: false; throttled?: { waitMs: number; reason: ThrottleReason } };

/**
 * What must hold before a call is made: room under its rate limits, the circuit's permit,
 * and the call's record in the journal. Capacity comes first, so a call that must wait takes
 * no half-open probe slot meanwhile. The breaker's acquire writes the journal's record in its
 * own step when it lets the call through (one script, and nothing to drop when it refuses),
 * so the call is on record before it is made. A deployment with no rate-limit window to count in
 * has its pause flag read by the acquire itself, atomically (no round trip of its own, and
 * no window in which another worker's pause goes unseen); found set, the gate is asked again
 * and sleeps or refuses as for any pause.
 */
async function guardCall<Answer>(
  call: ModelCall<Answer>,
  guards: CallGuards,
  deployment: ModelDeployment,
  startedAt: number,
): Promise<GuardedCall> {
  const { breaker, gate, recorder } = guards;
  const { entry } = call;
  const circuit = { account: deployment.account, model: deployment.stateModel };
  // The pause flag is left to the acquire only when there is one to read it.
  let deferPause = breaker !== undefined;
  for (;;) {
    const admission = gate
      ? await gate.admit(entry, deployment, { tryOnly: guards.tryOnly, deferPause })
      : undefined;
    if (admission && !admission.admitted) {
      return { go: false, throttled: { waitMs: admission.waitMs, reason: admission.reason } };
    }
    let permit: CircuitPermit;
    try {
      if (breaker) {
        const openCall = recorder?.openCall(entry, startedAt);
        permit = await breaker.acquire(
          circuit.account,
          circuit.model,
          startedAt,
          admission?.pauseFlag,
          openCall,
        );
        // A gated acquire went out right behind the run's start, whose answer is read by now
        // (same connection, in order): what the start said decides, whatever the gate saw.
        if (openCall?.gate !== undefined) await startDecides(recorder, openCall, permit);
      } else {
        await recorder?.begin(entry, startedAt);
        permit = { allowed: true, probe: false };
      }
    } catch (error) {
      // No call is made (and with a breaker, none was recorded: the acquire writes the record).
      await admission?.release();
      throw error;
    }
    if (permit.allowed) return { go: true, admission, permit };
    await admission?.release();
    // The start let the run in after the gate looked (it reached Redis later): ask again.
    if (permit.state === 'gated') continue;
    if (permit.state !== 'held') return { go: false };
    // Paused: the gate reads the flag itself now, and sleeps through a short pause or refuses.
    deferPause = false;
  }
}

/**
 * Waits for the run's start behind a gated acquire. A start that refused or failed after the
 * gate let the call by (the record said `active` for another start than this run's) ends the
 * call unmade: its journal record is taken back, since a rerun would count and bill it. A
 * probe slot it took is freed by the probe timeout, as an aborted probe's is.
 */
async function startDecides(
  recorder: CallRecorder | undefined,
  openCall: OpenCall,
  permit: CircuitPermit,
): Promise<void> {
  try {
    await recorder?.whenStarted?.();
  } catch (error) {
    if (permit.allowed) await recorder?.drop?.(openCall);
    throw error;
  }
}

function round(milliseconds: number): number {
  return Math.round(milliseconds * 10) / 10;
}
