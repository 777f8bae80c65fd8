import { setTimeout as sleep } from 'node:timers/promises';
import { CallSignal } from './call-signal';

describe('CallSignal', () => {
  it('aborts on its own timer and reports a retryable timeout', async () => {
    const call = new CallSignal(undefined, 20);
    await sleep(40);
    expect(call.signal.aborted).toBe(true);
    const error = call.abortError('p');
    expect(error).toMatchObject({ code: 'timeout', isRetryable: true, provider: 'p' });
    call.dispose();
  });

  it("follows the caller's signal and reports a non-retryable abort", () => {
    const controller = new AbortController();
    const call = new CallSignal(controller.signal, 10_000);
    expect(call.abortError('p')).toBeUndefined();
    controller.abort();
    expect(call.signal.aborted).toBe(true);
    expect(call.abortError('p')).toMatchObject({ code: 'aborted', isRetryable: false });
    call.dispose();
  });

  it('starts aborted when the caller already aborted', () => {
    const controller = new AbortController();
    controller.abort();
    const call = new CallSignal(controller.signal, 10_000);
    expect(call.signal.aborted).toBe(true);
    expect(call.abortError('p')?.code).toBe('aborted');
    call.dispose();
  });

  it('restartTimer pushes the deadline back (idle timeout for streams)', async () => {
    const call = new CallSignal(undefined, 60);
    for (let index = 0; index < 4; index += 1) {
      await sleep(30);
      call.restartTimer();
    }
    expect(call.signal.aborted).toBe(false);
    await sleep(90);
    expect(call.signal.aborted).toBe(true);
    call.dispose();
  });

  it('dispose stops the timer and detaches from the caller', async () => {
    const controller = new AbortController();
    const call = new CallSignal(controller.signal, 20);
    call.dispose();
    await sleep(40);
    controller.abort();
    expect(call.signal.aborted).toBe(false);
  });
});
