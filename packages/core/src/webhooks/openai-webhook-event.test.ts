import OpenAI, { InvalidWebhookSignatureError } from 'openai';
import type { JobResult } from '../jobs/job-record';
import { openAiEventForJob, openAiWebhookBody } from './openai-webhook-event';
import { generateWebhookSecret, signingSecrets } from './webhook-secret';
import { signWebhook } from './webhook-signer';

// The official SDK's verifier, as a customer's receiver runs it (no request is ever made).
const client = new OpenAI({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9' });

function signed(body: string, secrets: string[], timestamp = new Date()) {
  return { ...signWebhook({ messageId: 'msg_0123', timestamp, body, secrets }) };
}

describe('OpenAI-format webhooks against openai-node webhooks.unwrap', () => {
  const body = JSON.stringify(
    openAiWebhookBody({
      eventId: 'evt_0123456789abcdef',
      type: 'response.completed',
      createdAt: 1_765_000_000_123,
      subjectId: 'resp_0123456789abcdef0123456789abcdef',
    }),
  );

  it('verifies and parses a signed event', async () => {
    const secret = generateWebhookSecret();
    const event = await client.webhooks.unwrap(body, signed(body, [secret]), secret);
    expect(event).toEqual({
      id: 'evt_0123456789abcdef',
      object: 'event',
      created_at: 1_765_000_000,
      type: 'response.completed',
      data: { id: 'resp_0123456789abcdef0123456789abcdef' },
    });
  });

  it('refuses a tampered body, another secret, and a timestamp past the 300 s tolerance', async () => {
    const secret = generateWebhookSecret();
    const headers = signed(body, [secret]);
    await expect(
      client.webhooks.unwrap(body.replace('completed', 'failed'), headers, secret),
    ).rejects.toBeInstanceOf(InvalidWebhookSignatureError);
    await expect(
      client.webhooks.unwrap(body, headers, generateWebhookSecret()),
    ).rejects.toBeInstanceOf(InvalidWebhookSignatureError);
    const old = signed(body, [secret], new Date(Date.now() - 301_000));
    await expect(client.webhooks.unwrap(body, old, secret)).rejects.toThrow(/too old/);
    const recent = signed(body, [secret], new Date(Date.now() - 200_000));
    await expect(client.webhooks.unwrap(body, recent, secret)).resolves.toMatchObject({
      type: 'response.completed',
    });
  });

  it('is accepted with either secret while a rotated-out one still signs', async () => {
    const previous = generateWebhookSecret();
    const current = generateWebhookSecret();
    const now = Date.now();
    const secrets = signingSecrets({ current, previous, previousExpiresAt: now + 60_000 }, now);
    const headers = signed(body, secrets, new Date(now));
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    await expect(client.webhooks.unwrap(body, headers, previous)).resolves.toBeDefined();
    await expect(client.webhooks.unwrap(body, headers, current)).resolves.toBeDefined();
  });
});

describe('openAiEventForJob', () => {
  const result = (finish_reason: JobResult['finish_reason']) => ({ finish_reason });
  const responses = { surface: 'responses' as const };

  it('maps a Responses job end to its response event', () => {
    expect(openAiEventForJob('completed', { ...responses, result: result('stop') })).toBe(
      'response.completed',
    );
    expect(openAiEventForJob('completed', { ...responses, result: result('tool_calls') })).toBe(
      'response.completed',
    );
    expect(openAiEventForJob('completed', { ...responses, result: result('length') })).toBe(
      'response.incomplete',
    );
    expect(openAiEventForJob('completed', { ...responses, result: result('content_filter') })).toBe(
      'response.incomplete',
    );
    expect(openAiEventForJob('failed', responses)).toBe('response.failed');
    expect(openAiEventForJob('cancelled', responses)).toBe('response.cancelled');
  });

  it('has no event for speculative stages nor for jobs of other surfaces', () => {
    expect(openAiEventForJob('initial', { ...responses, result: result('stop') })).toBeUndefined();
    expect(openAiEventForJob('upgraded', { ...responses, result: result('stop') })).toBeUndefined();
    expect(openAiEventForJob('completed', { result: result('stop') })).toBeUndefined();
    expect(openAiEventForJob('failed', {})).toBeUndefined();
  });
});
