import { SingleBar } from 'cli-progress';
import type { BatchView } from '../api-types';

/**
 * A live progress bar for a batch: completed / failed / remaining, rate and ETA. On a
 * terminal it redraws in place; elsewhere (pipes, CI) it prints one line per update.
 */
export class BatchProgress {
  private readonly bar: SingleBar;
  private started = false;
  private readonly startedAt = Date.now();
  private lastPrinted = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {
    this.bar = new SingleBar({
      stream,
      format:
        '{id} {status} [{bar}] {percentage}% | {completed} done, {failed} failed, {remaining} left | {rate}/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    });
  }

  update(batch: BatchView): void {
    const { total, completed, failed } = batch.request_counts;
    const done = completed + failed;
    const seconds = Math.max(0.001, (Date.now() - this.startedAt) / 1000);
    const payload = {
      id: batch.id,
      status: batch.status,
      completed,
      failed,
      remaining: Math.max(0, total - done),
      rate: Math.round(done / seconds),
    };
    if (!this.stream.isTTY) {
      // No redraws without a terminal: a line every two seconds at most.
      if (Date.now() - this.lastPrinted >= 2000) {
        this.lastPrinted = Date.now();
        this.stream.write(
          `${batch.id} ${batch.status}: ${completed} done, ${failed} failed, ${payload.remaining} left of ${total} (${payload.rate}/s)\n`,
        );
      }
      return;
    }
    if (!this.started) {
      this.bar.start(Math.max(total, 1), done, payload);
      this.started = true;
    }
    this.bar.setTotal(Math.max(total, 1));
    this.bar.update(done, payload);
  }

  stop(): void {
    if (this.started) this.bar.stop();
  }
}
