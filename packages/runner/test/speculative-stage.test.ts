import type { AttemptRecord, JobFailure } from '@llmq/core';
import type { StageOutcome } from '../src/pipeline/job-runner';
import { runSpeculativeStage } from '../src/pipeline/speculative-stage';

// Which answer stands, and with which calls, whatever order the two calls end in. The order
// is set by hand-resolved promises, never by time.

const call = (model: string, outcome: AttemptRecord['outcome']): AttemptRecord => ({
  provider: 'simulator-openai',
  model,
  outcome,
  started_at: 1,
  latency_ms: 1,
  cost_usd: outcome === 'success' ? 0.001 : 0,
});
const badRequest: JobFailure = { code: 'provider_bad_request', message: 'refused' };

function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

const fastAnswer: StageOutcome<string> = {
  kind: 'success',
  answer: 'fast',
  attempts: [call('fast', 'success')],
};
const strongAnswer: StageOutcome<string> = {
  kind: 'success',
  answer: 'strong',
  attempts: [call('strong', 'success')],
};
const strongFailed: StageOutcome<string> = {
  kind: 'failed',
  error: new Error('refused'),
  retryable: false,
  attempts: [call('strong', 'error')],
};

test('the fast answer is offered first; the upgrade ends the job with both calls', async () => {
  const upgrade = deferred<StageOutcome<string>>();
  const offered: string[] = [];
  const running = runSpeculativeStage<string>({
    fast: async () => fastAnswer,
    upgrade: () => upgrade.promise,
    initial: async (answer) => {
      offered.push(answer);
      upgrade.resolve(strongAnswer);
      return true;
    },
  });
  const outcome = await running;
  expect(offered).toEqual(['fast']);
  expect(outcome.initial).toBe('fast');
  expect(outcome.upgradeFailure).toBeUndefined();
  expect(outcome.outcome).toMatchObject({ kind: 'success', answer: 'strong' });
  expect('attempts' in outcome.outcome && outcome.outcome.attempts.map((a) => a.model)).toEqual([
    'strong',
    'fast',
  ]);
});

test('an upgrade that answers first makes the fast answer moot: it is never offered', async () => {
  const fast = deferred<StageOutcome<string>>();
  const offered: string[] = [];
  const running = runSpeculativeStage<string>({
    fast: () => fast.promise,
    upgrade: async () => strongAnswer,
    initial: async (answer) => {
      offered.push(answer);
      return true;
    },
  });
  // Let the upgrade's settled promise be observed before the fast call ends.
  await new Promise((resolve) => setImmediate(resolve));
  fast.resolve(fastAnswer);
  const outcome = await running;
  expect(offered).toEqual([]);
  expect(outcome.initial).toBeUndefined();
  expect(outcome.outcome).toMatchObject({ kind: 'success', answer: 'strong' });
});

test('a failed upgrade leaves the stored fast answer, with the reason', async () => {
  const upgrade = deferred<StageOutcome<string>>();
  const outcome = await runSpeculativeStage<string>({
    fast: async () => fastAnswer,
    upgrade: () => upgrade.promise,
    initial: async () => {
      upgrade.resolve({ kind: 'rejected', failure: badRequest });
      return true;
    },
  });
  expect(outcome.outcome).toMatchObject({ kind: 'success', answer: 'fast' });
  expect(outcome.initial).toBe('fast');
  expect(outcome.upgradeFailure).toEqual(badRequest);
});

test('a fast answer that was refused (filter, cancel) does not stand: the upgrade failure decides', async () => {
  const upgrade = deferred<StageOutcome<string>>();
  const outcome = await runSpeculativeStage<string>({
    fast: async () => fastAnswer,
    upgrade: () => upgrade.promise,
    initial: async () => {
      upgrade.resolve(strongFailed);
      return false;
    },
  });
  expect(outcome.initial).toBeUndefined();
  expect(outcome.outcome.kind).toBe('failed');
  expect('attempts' in outcome.outcome && outcome.outcome.attempts).toHaveLength(2);
});
