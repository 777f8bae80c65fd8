import type { ModelEntry } from '../catalog/model-catalog';
import type { CallRecorder, OpenCall } from './call-journal';

/**
 * Thrown by a start-gated recorder's call when the job's start refused it (capped, past its
 * start deadline, cancelled, ended or missing): no call was made or recorded, and the caller
 * deals with the start's outcome.
 */
export class JobNotStartedError extends Error {
  constructor() {
    super('the job was not started, so no call was made');
    this.name = 'JobNotStartedError';
  }
}

/**
 * A job's call recorder for a run whose start (the job store's `start`) was sent without
 * waiting for it, so the first call's guards go out right behind it instead of a round trip
 * later. Until the start is known, each call carries the job's record as a start gate: the
 * breaker's acquire writes the call's record and takes a permit only if the record says
 * `active`, which it does exactly when the start let the job run (the start runs first: same
 * connection). A call the gate refused waits for the start ({@link CallRecorder.started}) and
 * is made, ungated, when the job started; otherwise it throws {@link JobNotStartedError}. A
 * call made without a breaker (`begin`) waits for the start first. So a call is on record
 * before it is made, and only when the job runs.
 *
 * `recordKey` is the job's record; `started` resolves true when the start let the job run.
 */
export function startGatedRecorder(
  recorder: CallRecorder,
  recordKey: string,
  started: Promise<boolean>,
): CallRecorder {
  let known: boolean | undefined;
  const ready = started.then((ran) => {
    known = ran;
    if (!ran) throw new JobNotStartedError();
  });
  // Read only when a call needs it: a run that makes no call must not see an unhandled rejection.
  ready.catch(() => undefined);
  return {
    openCall(entry: ModelEntry, startedAt: number): OpenCall {
      const call = recorder.openCall(entry, startedAt);
      return known === true ? call : { ...call, startGate: recordKey };
    },
    async begin(entry, startedAt) {
      await ready;
      await recorder.begin(entry, startedAt);
    },
    started: () => ready,
  };
}
