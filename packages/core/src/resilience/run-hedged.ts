import type { ModelEntry } from '../catalog/model-catalog';
import { costOfUsage } from '../catalog/model-pricing';
import type { DeploymentChooser } from '../deployments/deployment-picker';
import type { CallGate } from '../limits/call-gate';
import { callRequest } from '../providers/call-request';
import type { GenerateRequest, GenerateResult } from '../providers/language-model';
import type { AttemptRecord } from './attempt-record';
import type { CallRecorder } from './call-journal';
import { type CallOutcome, type ChainLink, callModel, chatCall } from './call-model';
import type { CircuitBreaker } from './circuit-breaker';
import { toAttemptUsage } from './usage-records';

export interface RunHedgedOptions {
  primary: ChainLink;
  secondary: ChainLink;
  /** Start the secondary this long after the primary unless it has answered; 0 races both. */
  afterMs: number;
  request: Omit<GenerateRequest, 'headers' | 'signal'>;
  headers?: (callNumber: number) => Record<string, string>;
  previousCalls?: number;
  breaker?: CircuitBreaker;
  /** Provider rate limits; an arm that would have to wait is not called. */
  gate?: CallGate;
  /** Records each call as started before it is made (see `call-journal.ts`). */
  recorder?: CallRecorder;
  /** Hears each call's start and latency (deployment picks). */
  chooser?: Pick<DeploymentChooser, 'track'>;
  /** Estimated input tokens: an aborted loser is billed for its prompt. */
  inputTokens: number;
}

export type HedgeOutcome =
  | { kind: 'success'; entry: ModelEntry; answer: GenerateResult; attempts: AttemptRecord[] }
  | { kind: 'failed'; error: unknown; attempts: AttemptRecord[] };

/**
 * Speculative execution: the primary model is called at once and the secondary either at once
 * (a race of, say, a fast and a strong model) or once the primary has not answered within
 * `afterMs` (a latency budget). The first answer wins; the other call is aborted. Every call
 * made is listed with its cost: the loser's actual cost when it answered anyway, otherwise
 * its prompt at the input price, marked as an estimate.
 */
export async function runHedged(options: RunHedgedOptions): Promise<HedgeOutcome> {
  const arms = [
    { link: options.primary, role: 'primary' as const, delayMs: 0 },
    { link: options.secondary, role: 'secondary' as const, delayMs: Math.max(0, options.afterMs) },
  ];
  const controllers = arms.map(() => new AbortController());
  let winner: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let calls = options.previousCalls ?? 0;
  let wake: (() => void) | undefined;
  const results: Array<Promise<CallOutcome> | undefined> = [undefined, undefined];

  const start = (index: number): Promise<CallOutcome> => {
    const arm = arms[index] as (typeof arms)[number];
    calls += 1;
    const promise = callModel(
      chatCall(
        arm.link,
        callRequest(options.request, {
          signal: (controllers[index] as AbortController).signal,
          headers: options.headers?.(calls),
        }),
      ),
      {
        breaker: options.breaker,
        gate: options.gate,
        recorder: options.recorder,
        chooser: options.chooser,
      },
    ).then((outcome) => {
      if (outcome.ok && winner === undefined) {
        winner = index;
        controllers.forEach((controller, other) => {
          if (other !== index) controller.abort(new Error('another hedged call answered first'));
        });
      }
      return outcome;
    });
    results[index] = promise;
    return promise;
  };

  const primary = start(0);
  // The secondary starts after its delay, or at once when the primary fails first.
  const secondaryStarted = new Promise<void>((resolve) => {
    wake = resolve;
    timer = setTimeout(resolve, arms[1]?.delayMs ?? 0);
  });
  void primary.then((outcome) => {
    if (!outcome.ok) wake?.();
  });
  await Promise.race([secondaryStarted, primary]);
  if (winner === undefined) start(1);
  clearTimeout(timer);
  wake?.();

  const settled = await Promise.all(results.filter((result) => result !== undefined));
  const attempts: AttemptRecord[] = [];
  settled.forEach((outcome, index) => {
    // An arm held back by a rate limit made no call: it is not an attempt.
    if (!outcome.ok && outcome.throttled) return;
    const role = arms[index]?.role ?? 'primary';
    const attempt: AttemptRecord = { ...outcome.attempt, hedge: role };
    if (winner !== undefined && index !== winner) {
      if (outcome.ok) attempt.outcome = 'lost';
      else if (attempt.outcome === 'aborted') {
        const { entry } = arms[index]?.link ?? options.primary;
        const usage = { inputTokens: options.inputTokens, outputTokens: 0 };
        attempt.cost_usd = costOfUsage(entry, usage);
        attempt.cost_estimated = true;
        attempt.usage = toAttemptUsage(usage);
      }
    }
    attempts.push(attempt);
  });
  if (winner !== undefined) {
    const won = settled[winner];
    if (won?.ok) {
      return {
        kind: 'success',
        entry: (arms[winner] as (typeof arms)[number]).link.entry,
        answer: won.answer,
        attempts,
      };
    }
  }
  const lastError = settled
    .map((outcome) => (outcome.ok ? undefined : outcome.error))
    .find(Boolean);
  return { kind: 'failed', error: lastError, attempts };
}
