import { waitFor } from '@llmq/testing';
import { startSystem } from './system-harness';
import { type Receiver, startReceiver } from './webhook-receiver';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System | undefined;
let receiver: Receiver | undefined;

afterEach(async () => {
  await system?.stop();
  await receiver?.close();
  system = undefined;
  receiver = undefined;
});

describe('webhook worker failures', () => {
  it('delivers the event of a worker SIGKILLed mid-delivery from another worker, once', async () => {
    // The receiver takes the first POST and never answers it: the worker is killed meanwhile.
    receiver = await startReceiver({ answer: (index) => (index === 0 ? 'hold' : { status: 200 }) });
    system = await startSystem({
      workers: 0,
      env: { WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${receiver.port}` },
      workerEnv: {
        LOCK_DURATION_MS: '2000',
        STALLED_INTERVAL_MS: '1000',
        WEBHOOK_RELAY_CLAIM_IDLE_MS: '1000',
        WEBHOOK_RETRY_DELAYS_MS: '200,400,400',
      },
    });
    const doomed = system.startWorker();
    const jobId = await system.submit({ prompt: 'kill me', webhook: { url: receiver.url } });
    await waitFor(() => (receiver!.received.length >= 1 ? true : undefined), {
      what: 'the first delivery to be in flight',
    });
    await doomed.stop('SIGKILL');
    system.startWorker();

    const delivery = await waitFor(
      async () => {
        const { body } = await system!.request('GET', `/v1/jobs/${jobId}/deliveries`);
        return body.data?.[0]?.status === 'succeeded' ? body.data[0] : undefined;
      },
      { timeoutMs: 30_000, what: 'the delivery to succeed on the second worker' },
    );
    expect(receiver.received.length).toBeGreaterThanOrEqual(2);
    const ids = new Set(receiver.received.map((message) => message.headers['webhook-id']));
    expect([...ids]).toEqual([delivery.message_id]);
    const successes = delivery.attempts.filter(
      (attempt: { outcome: string }) => attempt.outcome === 'succeeded',
    );
    expect(successes).toHaveLength(1);
    // Nothing more arrives after the success.
    const count = receiver.received.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.received).toHaveLength(count);
  });
});
