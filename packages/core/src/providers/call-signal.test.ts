import { CallSignal } from './call-signal';

// A fake clock: these are timer semantics, and a busy machine must not change the outcome.
beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('CallSignal', () => {
  it('aborts on its own timer and reports a retryable timeout', () => {
    const call = new CallSignal(undefined, 20);
    jest.advanceTimersByTime(19);
    expect(call.signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
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

  it('restartTimer pushes the deadline back (idle timeout for streams)', () => {
    const call = new CallSignal(undefined, 60);
    for (let index = 0; index < 4; index += 1) {
      jest.advanceTimersByTime(30);
      call.restartTimer();
    }
    expect(call.signal.aborted).toBe(false);
    jest.advanceTimersByTime(59);
    expect(call.signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(call.signal.aborted).toBe(true);
    call.dispose();
  });

  it('dispose stops the timer and detaches from the caller', () => {
    const controller = new AbortController();
    const call = new CallSignal(controller.signal, 20);
    call.dispose();
    jest.advanceTimersByTime(40);
    controller.abort();
    expect(call.signal.aborted).toBe(false);
  });

  it('answers aborted and reason itself, and calls its listeners once, on its timer', () => {
    const call = new CallSignal(undefined, 20);
    const heard: string[] = [];
    const listener = () => heard.push('abort');
    call.addEventListener('abort', listener);
    call.addEventListener('abort', listener);
    expect(call.aborted).toBe(false);
    jest.advanceTimersByTime(20);
    expect(call.aborted).toBe(true);
    expect(call.reason).toBeInstanceOf(Error);
    expect(heard).toEqual(['abort']);
    // A listener added after the abort is not called, as an aborted signal's is not.
    call.addEventListener('abort', listener);
    expect(heard).toEqual(['abort']);
    call.dispose();
  });

  it("passes the caller's reason on, and a removed listener is not called", () => {
    const controller = new AbortController();
    const call = new CallSignal(controller.signal, 10_000);
    const heard: unknown[] = [];
    const removed = () => heard.push('removed');
    call.addEventListener('abort', removed);
    call.addEventListener('abort', () => heard.push(call.reason));
    call.removeEventListener('abort', removed);
    const reason = new Error('stop');
    controller.abort(reason);
    expect(heard).toEqual([reason]);
    call.dispose();
  });

  it('makes its AbortSignal on first use, aborted already when the call was', () => {
    const call = new CallSignal(undefined, 20);
    const early = call.signal;
    jest.advanceTimersByTime(20);
    expect(early.aborted).toBe(true);
    const late = new CallSignal(undefined, 20);
    jest.advanceTimersByTime(20);
    expect(late.signal.aborted).toBe(true);
    expect(late.signal.reason).toBe(late.reason);
    call.dispose();
    late.dispose();
  });
});
