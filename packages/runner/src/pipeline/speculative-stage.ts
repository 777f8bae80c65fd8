import type { AttemptRecord, JobFailure } from '@llmq/core';
import { describeFailure } from './describe-failure';
import type { StageOutcome } from './job-runner';

/** The two provider stages of a speculative job and where its initial answer goes. */
export interface SpeculativeStageRequest<Answer> {
  /** The fast model's chat stage (the initial answer). */
  fast(): Promise<StageOutcome<Answer>>;
  /** The upgrade model's chat stage (the final answer). */
  upgrade(): Promise<StageOutcome<Answer>>;
  /** Filters and stores the initial answer without ending the job; true when stored. */
  initial(answer: Answer, attempts: AttemptRecord[]): Promise<boolean>;
}

/** What came of a speculative job's two calls. */
export interface SpeculativeOutcome<Answer> {
  /** What the runner decides on; its attempts are both calls' (upgrade's first). */
  outcome: StageOutcome<Answer>;
  /** The fast answer, when it stands as the job's initial answer. */
  initial?: Answer;
  /** Why the upgrade did not happen, when `outcome` carries the fast answer. */
  upgradeFailure?: JobFailure;
}

/**
 * Speculative execution: both models are called at once. The fast answer, when it arrives
 * first, is stored as the job's initial result while the upgrade runs; the upgrade's answer
 * then ends the job. When the upgrade fails, the fast answer ends the job (with the reason);
 * when no fast answer stands either, the upgrade's outcome decides (retry, park or fail) with
 * every call's attempts, so cost and retries count both.
 */
export async function runSpeculativeStage<Answer>(
  request: SpeculativeStageRequest<Answer>,
): Promise<SpeculativeOutcome<Answer>> {
  let upgradeDone = false;
  const upgradeCall = request.upgrade().then((outcome) => {
    upgradeDone = true;
    return outcome;
  });
  const fast = await request.fast();
  // An upgrade that already answered makes the initial answer moot: it is never shown.
  const offered = fast.kind === 'success' && !upgradeDone;
  const stored =
    offered && fast.kind === 'success' && (await request.initial(fast.answer, fast.attempts));
  const upgrade = await upgradeCall;
  // Earlier attempts' calls lead the upgrade's own list, so the upgrade's come first.
  const attempts = [...attemptsOf(upgrade), ...attemptsOf(fast)];
  if (upgrade.kind === 'success')
    return {
      outcome: { ...upgrade, attempts },
      ...(stored && fast.kind === 'success' ? { initial: fast.answer } : {}),
    };
  // The fast answer stands when it was stored, or when the upgrade failed before it came.
  const standing = fast.kind === 'success' && (stored || !offered);
  if (!standing) {
    if (upgrade.kind === 'failed' || upgrade.kind === 'wait')
      return { outcome: { ...upgrade, attempts } };
    return { outcome: upgrade };
  }
  return {
    outcome: { kind: 'success', answer: fast.answer, attempts },
    initial: fast.answer,
    upgradeFailure: upgradeFailureOf(upgrade),
  };
}

function attemptsOf<Answer>(outcome: StageOutcome<Answer>): AttemptRecord[] {
  return 'attempts' in outcome ? outcome.attempts : [];
}

/** Why an upgrade that did not answer did not, as the job's `upgrade_error`. */
function upgradeFailureOf<Answer>(outcome: StageOutcome<Answer>): JobFailure {
  switch (outcome.kind) {
    case 'failed':
      return describeFailure(outcome.error, outcome.attempts).failure;
    case 'wait':
    case 'rejected':
      return outcome.failure;
    default:
      return { code: 'internal_error', message: 'the upgrade ended without an answer' };
  }
}
