import type { LineOutcome } from './answer-batch-line';

/** One request of a provider batch. */
export interface BatchLine {
  customId: string;
  /** The request body, validated only when the line runs (as the providers do). */
  body: unknown;
}

/**
 * A provider batch held by the simulator, OpenAI's or Anthropic's. Its lines finish in order,
 * evenly spread over `turnaroundMs` after `createdAt`; nothing runs in the background: the
 * state at any time is worked out from the clock when someone looks (see {@link batchProgress}).
 */
export interface SimulatedBatch {
  id: string;
  /** Creation, epoch ms on the simulator's clock. */
  createdAt: number;
  turnaroundMs: number;
  /** When lines not yet done expire, epoch ms. */
  expiresAt: number;
  lines: BatchLine[];
  /** When the batch was cancelled, epoch ms. */
  cancelledAt?: number;
  /** Answers one line (called once per line, when it is done). */
  answer(line: BatchLine): LineOutcome;
  /** Outcomes of the lines done so far, by index. */
  outcomes: Array<LineOutcome | undefined>;
}

/** Where a batch stands at one instant. */
export interface BatchProgress {
  /** Lines answered (succeeded or errored). */
  done: number;
  succeeded: number;
  errored: number;
  /** Lines never run because the batch was cancelled. */
  canceled: number;
  /** Lines never run because the batch expired. */
  expired: number;
  /** Lines still to run (0 once ended). */
  processing: number;
  /** How it ended, when it has. */
  end?: { reason: 'completed' | 'cancelled' | 'expired'; at: number };
}

/** The state of `batch` at `now`; answers (once) every line done by then. */
export function batchProgress(batch: SimulatedBatch, now: number): BatchProgress {
  const total = batch.lines.length;
  const cutoff = Math.min(now, batch.cancelledAt ?? Number.POSITIVE_INFINITY, batch.expiresAt);
  const elapsed = cutoff - batch.createdAt;
  const done =
    batch.turnaroundMs <= 0
      ? total
      : Math.max(0, Math.min(total, Math.floor((total * elapsed) / batch.turnaroundMs)));
  let succeeded = 0;
  for (let index = 0; index < done; index += 1) {
    let outcome = batch.outcomes[index];
    if (outcome === undefined) {
      outcome = batch.answer(batch.lines[index] as BatchLine);
      batch.outcomes[index] = outcome;
    }
    if (outcome.kind === 'succeeded') succeeded += 1;
  }
  const progress: BatchProgress = {
    done,
    succeeded,
    errored: done - succeeded,
    canceled: 0,
    expired: 0,
    processing: total - done,
  };
  if (done === total) {
    progress.end = { reason: 'completed', at: batch.createdAt + batch.turnaroundMs };
  } else if (batch.cancelledAt !== undefined) {
    progress.end = { reason: 'cancelled', at: batch.cancelledAt };
    progress.canceled = total - done;
  } else if (now >= batch.expiresAt) {
    progress.end = { reason: 'expired', at: batch.expiresAt };
    progress.expired = total - done;
  }
  if (progress.end !== undefined) progress.processing = 0;
  return progress;
}

/** Every line's outcome once the batch has ended, unrun lines `canceled` or `expired`. */
export function finalOutcomes(batch: SimulatedBatch, progress: BatchProgress): LineOutcome[] {
  const unrun: LineOutcome = {
    kind: progress.end?.reason === 'cancelled' ? 'canceled' : 'expired',
  };
  return batch.lines.map((_, index) => batch.outcomes[index] ?? unrun);
}
