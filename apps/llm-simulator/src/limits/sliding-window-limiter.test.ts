import { formatResetDuration } from './format-reset-duration';
import { SlidingWindowLimiter } from './sliding-window-limiter';

describe('SlidingWindowLimiter', () => {
  it('admits everything when a model has no limits', () => {
    const limiter = new SlidingWindowLimiter();
    for (let index = 0; index < 100; index += 1) {
      expect(limiter.admit('sim-a', {}, 1_000, index)).toEqual({ admitted: true, state: null });
    }
  });

  it('limits requests per sliding window and says when a slot frees up', () => {
    const limiter = new SlidingWindowLimiter(60_000);
    expect(limiter.admit('sim-a', { rpm: 2 }, 10, 0)).toMatchObject({
      admitted: true,
      state: { remainingRequests: 1 },
    });
    expect(limiter.admit('sim-a', { rpm: 2 }, 10, 20_000)).toMatchObject({
      admitted: true,
      state: { remainingRequests: 0 },
    });
    expect(limiter.admit('sim-a', { rpm: 2 }, 10, 30_000)).toMatchObject({
      admitted: false,
      limitedBy: 'rpm',
      retryAfterMs: 30_000,
    });
    expect(limiter.admit('sim-b', { rpm: 2 }, 10, 30_000).admitted).toBe(true);
    // The first request leaves the window at 60 s.
    expect(limiter.admit('sim-a', { rpm: 2 }, 10, 60_001).admitted).toBe(true);
    expect(limiter.admit('sim-a', { rpm: 2 }, 10, 60_002).admitted).toBe(false);
    limiter.reset();
    expect(limiter.admit('sim-a', { rpm: 2 }, 10, 60_003).admitted).toBe(true);
  });

  it('limits tokens per sliding window', () => {
    const limiter = new SlidingWindowLimiter(60_000);
    expect(limiter.admit('sim-a', { tpm: 100 }, 60, 0)).toMatchObject({
      admitted: true,
      state: { remainingTokens: 40 },
    });
    expect(limiter.admit('sim-a', { tpm: 100 }, 30, 10_000).admitted).toBe(true);
    expect(limiter.admit('sim-a', { tpm: 100 }, 30, 20_000)).toMatchObject({
      admitted: false,
      limitedBy: 'tpm',
      retryAfterMs: 40_000,
    });
    expect(limiter.admit('sim-a', { tpm: 100 }, 10, 20_000).admitted).toBe(true);
  });
});

describe('SlidingWindowLimiter with a model window', () => {
  it('scales rpm and tpm to the window and evicts after it', () => {
    const limiter = new SlidingWindowLimiter();
    // 600 rpm over 1 s: 10 requests per window; 6000 tpm: 100 tokens per window.
    const limits = { rpm: 600, tpm: 6000, rateWindowMs: 1000 };
    for (let index = 0; index < 10; index += 1) {
      expect(limiter.admit('sim-a', limits, 5, index).admitted).toBe(true);
    }
    expect(limiter.admit('sim-a', limits, 5, 10)).toMatchObject({
      admitted: false,
      limitedBy: 'rpm',
      retryAfterMs: 990,
      state: { limitRequests: 10, limitTokens: 100 },
    });
    expect(limiter.admit('sim-a', limits, 5, 1000).admitted).toBe(true);
    expect(limiter.admit('sim-a', limits, 70, 1002)).toMatchObject({
      admitted: false,
      limitedBy: 'tpm',
    });
  });
});

describe('formatResetDuration', () => {
  it('writes durations as OpenAI does', () => {
    expect(formatResetDuration(250)).toBe('250ms');
    expect(formatResetDuration(1000)).toBe('1s');
    expect(formatResetDuration(1500)).toBe('1.5s');
    expect(formatResetDuration(360_000)).toBe('6m0s');
  });
});
