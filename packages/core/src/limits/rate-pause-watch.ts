import type { Redis } from 'ioredis';

/**
 * A worker's view of the rate pauses every worker shares (a 429 with Retry-After, or headers
 * saying nothing remains, pause a deployment for all of them), kept without a read per call.
 * The pause script announces every pause it sets on one pub/sub channel; this watch listens
 * on its own connection. A flag is known "not paused" once it was read from Redis while the
 * subscription was up, and stays known until a pause is announced for it or the subscription
 * drops (then every flag is read again before it is trusted). A pause set between the read
 * and the announcement's arrival is the same race a read per call has: a call admitted just
 * before the pause was set.
 *
 * Only a deployment whose calls count against no rate-limit window uses it: with a window the
 * reservation script runs anyway and reads the flag in the same step.
 */
export class RatePauseWatch {
  /** Flags read "not paused" under the current subscription. */
  private readonly known = new Set<string>();
  /** Flags announced paused, until when (this process's clock, epoch ms). */
  private readonly pausedUntil = new Map<string, number>();
  /** Bumped when the subscription drops: a read begun before it is no longer trusted. */
  private epoch = 0;
  private subscribed = false;
  private closed = false;

  constructor(
    private readonly subscriber: Redis,
    private readonly channel: string,
    private readonly onError: (error: unknown) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const space = message.lastIndexOf(' ');
      const milliseconds = Number(message.slice(space + 1));
      if (space > 0 && milliseconds > 0) this.paused(message.slice(0, space), milliseconds);
    });
    subscriber.on('close', () => this.forget());
    // ioredis subscribes again by itself on reconnect; the view trusts reads only after that.
    subscriber.on('ready', () => void this.subscribe());
    void this.subscribe();
  }

  /** True while the subscription is up (announcements are heard). */
  get listening(): boolean {
    return this.subscribed;
  }

  /** Until this watch was told otherwise, is the flag known not to be set? */
  knownClear(flag: string): boolean {
    if (!this.subscribed || !this.known.has(flag)) return false;
    const until = this.pausedUntil.get(flag);
    if (until === undefined) return true;
    if (until > this.now()) return false;
    this.pausedUntil.delete(flag);
    return true;
  }

  /**
   * A read of the flag is about to be made; call the returned function with what it said
   * (`clear`: not paused) once it answered.
   */
  reading(flag: string): (clear: boolean) => void {
    const epoch = this.epoch;
    const trusted = this.subscribed;
    return (clear) => {
      if (!clear || !trusted || epoch !== this.epoch) return;
      this.known.add(flag);
    };
  }

  /** A pause this process set or heard of: no call is admitted without a read before it ends. */
  paused(flag: string, milliseconds: number): void {
    const until = this.now() + milliseconds;
    if ((this.pausedUntil.get(flag) ?? 0) < until) this.pausedUntil.set(flag, until);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.forget();
    await this.subscriber.quit().catch(() => undefined);
  }

  private forget(): void {
    this.subscribed = false;
    this.epoch += 1;
    this.known.clear();
  }

  private async subscribe(): Promise<void> {
    if (this.closed) return;
    try {
      await this.subscriber.subscribe(this.channel);
      if (!this.closed && this.subscriber.status === 'ready') this.subscribed = true;
    } catch (error) {
      this.onError(error);
    }
  }
}
