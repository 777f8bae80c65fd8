import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signingSecrets } from './webhook-secret';
import { signWebhook } from './webhook-signer';

describe('signWebhook', () => {
  const body = JSON.stringify({ type: 'job.completed', data: { id: 'job_1' } });

  it('produces headers the standardwebhooks verifier accepts', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const headers = signWebhook({
      messageId: 'msg_1',
      timestamp: new Date(),
      body,
      secrets: [secret],
    });
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('fails verification for a tampered body, an old timestamp or another secret', () => {
    const secret = generateWebhookSecret();
    const fresh = signWebhook({
      messageId: 'msg_2',
      timestamp: new Date(),
      body,
      secrets: [secret],
    });
    expect(() => new Webhook(secret).verify(`${body} `, { ...fresh })).toThrow(/signature/i);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...fresh })).toThrow(
      /signature/i,
    );
    const old = signWebhook({
      messageId: 'msg_2',
      timestamp: new Date(Date.now() - 10 * 60_000),
      body,
      secrets: [secret],
    });
    expect(() => new Webhook(secret).verify(body, { ...old })).toThrow(/too old/);
  });

  it('signs with both secrets during a rotation window, and only the new one after', () => {
    const previous = generateWebhookSecret();
    const current = generateWebhookSecret();
    const now = Date.now();
    const ring = { current, previous, previousExpiresAt: now + 60_000 };
    const during = signWebhook({
      messageId: 'msg_3',
      timestamp: new Date(now),
      body,
      secrets: signingSecrets(ring, now),
    });
    expect(during['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(previous).verify(body, { ...during })).not.toThrow();
    expect(() => new Webhook(current).verify(body, { ...during })).not.toThrow();
    const after = signWebhook({
      messageId: 'msg_3',
      timestamp: new Date(now),
      body,
      secrets: signingSecrets(ring, now + 120_000),
    });
    expect(() => new Webhook(previous).verify(body, { ...after })).toThrow();
    expect(() => new Webhook(current).verify(body, { ...after })).not.toThrow();
  });
});
