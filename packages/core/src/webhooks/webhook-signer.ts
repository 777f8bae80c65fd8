import { Webhook } from 'standardwebhooks';

/** The three Standard Webhooks headers. */
export interface WebhookSignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export interface SignOptions {
  /** `msg_…`, the same on every attempt of one message. */
  messageId: string;
  /** Signing time; the receiver rejects it when too far from its clock (5 min). */
  timestamp: Date;
  body: string;
  /** Every secret to sign with (current first); each adds one `v1,…` signature. */
  secrets: readonly string[];
}

/**
 * Signs a message per the Standard Webhooks spec with the reference `standardwebhooks`
 * library: `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, one per secret, space separated.
 */
export function signWebhook({
  messageId,
  timestamp,
  body,
  secrets,
}: SignOptions): WebhookSignatureHeaders {
  if (secrets.length === 0) throw new Error('no secret to sign the webhook with');
  const signatures = secrets.map((secret) => new Webhook(secret).sign(messageId, timestamp, body));
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
