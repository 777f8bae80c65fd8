import { freePort, waitFor } from '@llmq/testing';
import { WebhookVerificationError } from 'standardwebhooks';
import { startSystem } from './system-harness';
import { type Receiver, startReceiver } from './webhook-receiver';

type System = Awaited<ReturnType<typeof startSystem>>;
const otherTenantKey = 'e2e-other-key-0002';
const asOtherTenant = { Authorization: `Bearer ${otherTenantKey}` };

let system: System;
let receiver: Receiver;
let redirecting: Receiver;
let victim: Receiver;
let endpointReceiver: Receiver;
let goneReceiver: Receiver;
let flakyPort: number;
let flaky: Receiver | undefined;

beforeAll(async () => {
  victim = await startReceiver();
  receiver = await startReceiver();
  redirecting = await startReceiver({
    answer: () => ({ status: 302, location: `${victim.url}?stolen` }),
  });
  endpointReceiver = await startReceiver();
  goneReceiver = await startReceiver({ answer: () => ({ status: 410 }) });
  flakyPort = await freePort();
  // Only these receivers are admitted past the SSRF guard; `victim` stands for an internal
  // service on the same host that must never be reached.
  const allowed = [receiver, redirecting, endpointReceiver, goneReceiver]
    .map((entry) => `127.0.0.1:${entry.port}`)
    .concat(`127.0.0.1:${flakyPort}`)
    .join(',');
  system = await startSystem({
    env: { WEBHOOK_ALLOWED_HOSTS: allowed, WEBHOOK_RETRY_DELAYS_MS: '300,300,300,300,300,300' },
    apiEnv: { API_KEYS: `e2e:e2e-key-0000001,other:${otherTenantKey}` },
  });
});

afterAll(async () => {
  await system?.stop();
  await Promise.all(
    [receiver, redirecting, victim, endpointReceiver, goneReceiver, flaky].map((entry) =>
      entry?.close(),
    ),
  );
});

async function deliveries(jobId: string) {
  const response = await system.request('GET', `/v1/jobs/${jobId}/deliveries`);
  expect(response.status).toBe(200);
  return response.body.data as {
    id: string;
    message_id: string;
    status: string;
    endpoint_id: string | null;
    attempts: { outcome: string; status_code: number | null; run: number }[];
  }[];
}

async function waitForDelivery(jobId: string, done: (status: string) => boolean) {
  return waitFor(
    async () => {
      const list = await deliveries(jobId);
      return list.length > 0 && list.every((delivery) => done(delivery.status)) ? list : undefined;
    },
    { timeoutMs: 20_000, what: `the deliveries of ${jobId}` },
  );
}

async function tenantSecret(): Promise<string> {
  const response = await system.request('GET', '/v1/webhook-secret');
  expect(response.body.secret).toMatch(/^whsec_/);
  return response.body.secret;
}

describe('webhook callbacks', () => {
  it('posts the final job, signed so that the standardwebhooks verifier accepts it', async () => {
    const secret = await tenantSecret();
    const jobId = await system.submit({
      prompt: 'hello webhook',
      webhook: { url: receiver.url, events: ['job.completed'] },
    });
    await waitFor(() => (receiver.received.length > 0 ? true : undefined), { what: 'webhook' });
    const message = receiver.received[0]!;
    const payload = receiver.verify(message, secret);
    // The body carries the stored, final result: it was written before the event existed.
    expect(payload).toMatchObject({
      type: 'job.completed',
      data: { id: jobId, status: 'completed' },
    });
    expect(payload.data.result?.text).toEqual(expect.any(String));
    expect(message.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(() =>
      receiver.verify(message, secret, message.body.replace('completed', 'failed')),
    ).toThrow(WebhookVerificationError);
    expect(() =>
      receiver.verify(
        {
          ...message,
          headers: {
            ...message.headers,
            'webhook-timestamp': String(Math.floor(Date.now() / 1000) - 3600),
          },
        },
        secret,
      ),
    ).toThrow(/too old/);
    const [delivery] = await waitForDelivery(jobId, (status) => status === 'succeeded');
    expect(delivery).toMatchObject({
      status: 'succeeded',
      message_id: message.headers['webhook-id'],
    });
    expect(delivery?.attempts).toEqual([
      expect.objectContaining({ outcome: 'succeeded', status_code: 204, run: 0 }),
    ]);
  });

  it('retries a receiver that is down, then failing, with the same webhook-id, logging one success', async () => {
    const jobId = await system.submit({
      prompt: 'flaky receiver',
      webhook: { url: `http://127.0.0.1:${flakyPort}/hooks` },
    });
    await waitFor(
      async () => {
        const [delivery] = await deliveries(jobId);
        return (delivery?.attempts.length ?? 0) >= 2 ? true : undefined;
      },
      { what: 'two refused attempts' },
    );
    flaky = await startReceiver({
      port: flakyPort,
      answer: (index) => (index === 0 ? { status: 503 } : { status: 200 }),
    });
    const [delivery] = await waitForDelivery(jobId, (status) => status === 'succeeded');
    const outcomes = delivery!.attempts.map((attempt) => attempt.outcome);
    expect(outcomes.slice(0, 2)).toEqual(['connection_error', 'connection_error']);
    expect(outcomes.slice(-2)).toEqual(['http_error', 'succeeded']);
    expect(outcomes.filter((outcome) => outcome === 'succeeded')).toHaveLength(1);
    expect(flaky.received).toHaveLength(2);
    const ids = new Set(flaky.received.map((message) => message.headers['webhook-id']));
    expect([...ids]).toEqual([delivery!.message_id]);
    const secret = await tenantSecret();
    for (const message of flaky.received)
      expect(() => flaky!.verify(message, secret)).not.toThrow();
  });

  it('refuses private, loopback, metadata and non-http webhook URLs at submission', async () => {
    const refused = [
      'http://169.254.169.254/latest/meta-data/',
      'http://10.0.0.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://localhost/',
      `http://localhost:${victim.port}/hooks`,
      victim.url,
      'ftp://example.com/hooks',
    ];
    for (const url of refused) {
      const response = await system.request('POST', '/v1/jobs', { prompt: 'x', webhook: { url } });
      expect({ url, status: response.status, code: response.body.error?.code }).toEqual({
        url,
        status: 400,
        code: 'webhook_url_not_allowed',
      });
      const endpoint = await system.request('POST', '/v1/webhook-endpoints', { url });
      expect(endpoint.status).toBe(400);
    }
    expect(victim.received).toHaveLength(0);
  });

  it('does not follow a redirect to a private address: the attempt fails, the target gets nothing', async () => {
    const jobId = await system.submit({ prompt: 'redirect', webhook: { url: redirecting.url } });
    await waitFor(
      async () => {
        const [delivery] = await deliveries(jobId);
        return (delivery?.attempts.length ?? 0) >= 2 ? delivery : undefined;
      },
      { what: 'redirected attempts' },
    );
    const [delivery] = await deliveries(jobId);
    expect(delivery?.attempts[0]).toMatchObject({ outcome: 'http_error', status_code: 302 });
    expect(redirecting.received.length).toBeGreaterThanOrEqual(2);
    expect(victim.received).toHaveLength(0);
  });

  it('manages tenant endpoints with rotation and replay, invisible to other tenants', async () => {
    const created = await system.request('POST', '/v1/webhook-endpoints', {
      url: endpointReceiver.url,
      events: ['job.completed', 'job.failed'],
    });
    expect(created.status).toBe(201);
    const endpointId: string = created.body.id;
    const firstSecret: string = created.body.secret;
    expect(firstSecret).toMatch(/^whsec_/);

    const list = await system.request('GET', '/v1/webhook-endpoints');
    expect(list.body.data.map((entry: { id: string }) => entry.id)).toContain(endpointId);
    expect(JSON.stringify(list.body)).not.toContain(firstSecret);
    for (const [method, path] of [
      ['GET', `/v1/webhook-endpoints/${endpointId}`],
      ['GET', `/v1/webhook-endpoints/${endpointId}/secret`],
      ['POST', `/v1/webhook-endpoints/${endpointId}/rotate`],
      ['DELETE', `/v1/webhook-endpoints/${endpointId}`],
    ] as const) {
      const response = await system.request(method, path, undefined, asOtherTenant);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
    }
    expect(
      (await system.request('GET', '/v1/webhook-endpoints', undefined, asOtherTenant)).body.data,
    ).toEqual([]);

    const firstJob = await system.submit({ prompt: 'to the endpoint' });
    const [firstDelivery] = await waitForDelivery(firstJob, (status) => status === 'succeeded');
    expect(firstDelivery?.endpoint_id).toBe(endpointId);
    const firstMessage = endpointReceiver.received.at(-1)!;
    expect(endpointReceiver.verify(firstMessage, firstSecret).data.id).toBe(firstJob);

    // Rotation: both secrets sign until the window ends.
    const rotated = await system.request('POST', `/v1/webhook-endpoints/${endpointId}/rotate`);
    expect(rotated.body.secret).not.toBe(firstSecret);
    expect(rotated.body.previous_secret_expires_at).toEqual(expect.any(String));
    const secondJob = await system.submit({ prompt: 'after rotation' });
    await waitForDelivery(secondJob, (status) => status === 'succeeded');
    const secondMessage = endpointReceiver.received.at(-1)!;
    expect(secondMessage.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    expect(endpointReceiver.verify(secondMessage, firstSecret).data.id).toBe(secondJob);
    expect(endpointReceiver.verify(secondMessage, rotated.body.secret).data.id).toBe(secondJob);

    // The log and replay are the tenant's alone.
    expect(
      (await system.request('GET', `/v1/jobs/${firstJob}/deliveries`, undefined, asOtherTenant))
        .status,
    ).toBe(404);
    const foreignReplay = await system.request(
      'POST',
      `/v1/webhook-deliveries/${firstDelivery!.id}/retry`,
      undefined,
      asOtherTenant,
    );
    expect(foreignReplay.status).toBe(404);
    expect(foreignReplay.body.error.code).toBe('webhook_delivery_not_found');
    const before = endpointReceiver.received.length;
    const replay = await system.request(
      'POST',
      `/v1/webhook-deliveries/${firstDelivery!.id}/retry`,
    );
    expect(replay.status).toBe(202);
    await waitFor(() => (endpointReceiver.received.length > before ? true : undefined), {
      what: 'the replay',
    });
    expect(endpointReceiver.received.at(-1)?.headers['webhook-id']).toBe(
      firstMessage.headers['webhook-id'],
    );
    const [replayed] = await waitForDelivery(firstJob, (status) => status === 'succeeded');
    expect(replayed?.attempts.map((attempt) => [attempt.run, attempt.outcome])).toEqual([
      [0, 'succeeded'],
      [1, 'succeeded'],
    ]);

    const deleted = await system.request('DELETE', `/v1/webhook-endpoints/${endpointId}`);
    expect(deleted.body).toMatchObject({ id: endpointId, deleted: true });
    expect((await system.request('GET', `/v1/webhook-endpoints/${endpointId}`)).status).toBe(404);
  });

  it('disables an endpoint that answers 410 Gone, after one attempt', async () => {
    const created = await system.request('POST', '/v1/webhook-endpoints', {
      url: goneReceiver.url,
    });
    const jobId = await system.submit({ prompt: 'to a gone endpoint' });
    const [delivery] = await waitForDelivery(jobId, (status) => status === 'endpoint_disabled');
    expect(delivery?.attempts).toEqual([
      expect.objectContaining({ outcome: 'gone', status_code: 410 }),
    ]);
    const endpoint = await system.request('GET', `/v1/webhook-endpoints/${created.body.id}`);
    expect(endpoint.body).toMatchObject({
      disabled: true,
      disabled_reason: expect.stringMatching(/410/),
    });
    expect(goneReceiver.received).toHaveLength(1);
    await system.request('DELETE', `/v1/webhook-endpoints/${created.body.id}`);
  });

  it("sends a sync embeddings request's end to the tenant's endpoint, and lists its job", async () => {
    const created = await system.request(
      'POST',
      '/v1/webhook-endpoints',
      { url: endpointReceiver.url, events: ['job.completed'] },
      asOtherTenant,
    );
    expect(created.status).toBe(201);
    try {
      const answered = await system.request(
        'POST',
        '/v1/embeddings',
        { model: 'sim-embed-small', input: ['one', 'two'] },
        asOtherTenant,
      );
      expect(answered.status).toBe(200);
      expect(answered.body.data).toHaveLength(2);
      const jobId = answered.headers.get('x-llmq-job-id');
      expect(jobId).toMatch(/^job_/);
      const message = await waitFor(
        () => endpointReceiver.received.find((received) => received.body.includes(`${jobId}`)),
        { timeoutMs: 20_000, what: `the webhook of ${jobId}` },
      );
      const payload = endpointReceiver.verify(message, created.body.secret);
      expect(payload).toMatchObject({
        type: 'job.completed',
        data: { id: jobId, status: 'completed' },
      });
      const listed = await system.request(
        'GET',
        '/v1/jobs?lane=interactive',
        undefined,
        asOtherTenant,
      );
      expect(listed.body.data.map((job: { id: string }) => job.id)).toContain(jobId);
      // The other tenant's explorer does not show it.
      const own = await system.request('GET', '/v1/jobs?lane=interactive');
      expect(own.body.data.map((job: { id: string }) => job.id)).not.toContain(jobId);
    } finally {
      await system.request(
        'DELETE',
        `/v1/webhook-endpoints/${created.body.id}`,
        undefined,
        asOtherTenant,
      );
    }
  });
});
