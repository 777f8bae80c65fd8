import { type ReceivedWebhook, type ReceiverAnswer, startReceiver } from '../webhook-receiver';

/** How the webhooks of a chaos run arrived, per job. */
export interface WebhookTally {
  /** Jobs with at least one delivery that got a 2xx. */
  delivered: number;
  /** Jobs that ended but whose event never got a 2xx. */
  undelivered: number;
  /** Jobs whose requests carried more than one `webhook-id` (must be 0). */
  unstableIds: number;
  /** Jobs whose event got more than one 2xx (at-least-once redeliveries after a crash). */
  deliveredTwice: number;
  /** Requests received in all. */
  requests: number;
}

/**
 * A receiver that records which status it answered to each request; `answer` decides it
 * (default 204), so a scenario can make it flap.
 */
export async function startCountingReceiver(answer?: (index: number) => ReceiverAnswer) {
  const statuses: number[] = [];
  const receiver = await startReceiver({
    answer: (index) => {
      const chosen = answer?.(index) ?? { status: 204 };
      statuses[index] = chosen === 'hold' ? 0 : chosen.status;
      return chosen;
    },
  });
  return {
    ...receiver,
    /** Counts deliveries per job for the jobs in `jobIds`. */
    tally(jobIds: Iterable<string>): WebhookTally {
      const byJob = new Map<string, { ids: Set<string>; successes: number }>();
      receiver.received.forEach((message: ReceivedWebhook, index: number) => {
        const jobId = jobIdOf(message);
        if (!jobId) return;
        const entry = byJob.get(jobId) ?? { ids: new Set<string>(), successes: 0 };
        entry.ids.add(message.headers['webhook-id'] ?? '');
        const status = statuses[index] ?? 0;
        if (status >= 200 && status < 300) entry.successes += 1;
        byJob.set(jobId, entry);
      });
      const tally: WebhookTally = {
        delivered: 0,
        undelivered: 0,
        unstableIds: 0,
        deliveredTwice: 0,
        requests: receiver.received.length,
      };
      for (const jobId of jobIds) {
        const entry = byJob.get(jobId);
        if (!entry || entry.successes === 0) tally.undelivered += 1;
        else tally.delivered += 1;
        if (entry && entry.ids.size > 1) tally.unstableIds += 1;
        if (entry && entry.successes > 1) tally.deliveredTwice += 1;
      }
      return tally;
    },
  };
}

function jobIdOf(message: ReceivedWebhook): string | undefined {
  try {
    const payload = JSON.parse(message.body) as { data?: { id?: unknown } };
    return typeof payload.data?.id === 'string' ? payload.data.id : undefined;
  } catch {
    return undefined;
  }
}
