import { EventEmitter } from 'node:events';
import type { DeliveryAttemptOutcome } from './webhook-sender';

/** Emitted once per delivery attempt; the observability work maps it to a Prometheus counter. */
export interface WebhookAttemptEvent {
  outcome: DeliveryAttemptOutcome;
  event: string;
  latencyMs: number;
}

/**
 * Counts webhook delivery attempts by outcome, in process. Listen to `attempt` events to
 * export them (e.g. `webhook_deliveries_total{outcome}`), or read `snapshot()`.
 */
export class WebhookMetrics extends EventEmitter<{ attempt: [WebhookAttemptEvent] }> {
  private readonly counts = new Map<DeliveryAttemptOutcome, number>();

  record(event: WebhookAttemptEvent): void {
    this.counts.set(event.outcome, (this.counts.get(event.outcome) ?? 0) + 1);
    this.emit('attempt', event);
  }

  /** Attempts so far, by outcome. */
  snapshot(): Partial<Record<DeliveryAttemptOutcome, number>> {
    return Object.fromEntries(this.counts);
  }
}
