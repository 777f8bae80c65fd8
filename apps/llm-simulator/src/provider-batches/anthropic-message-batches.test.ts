import { type RunningSimulator, startSimulator } from '../start-simulator';
import { anthropicClient, collect } from '../test-support/sdk-clients';

function request(customId: string, content: string, model = 'sim-claude-fast') {
  return {
    custom_id: customId,
    params: { model, max_tokens: 256, messages: [{ role: 'user' as const, content }] },
  };
}

describe('Anthropic Message Batches API', () => {
  let simulator: RunningSimulator;
  let now = 1_800_000_000_000;

  beforeEach(async () => {
    now = 1_800_000_000_000;
    simulator = await startSimulator({ clock: () => now });
    simulator.configure({ batches: { turnaroundMs: 10_000 } });
  });

  afterEach(async () => {
    await simulator.close();
  });

  it('runs a batch and serves its results through the SDK', async () => {
    const client = anthropicClient(simulator);
    const requests = [
      request('a', 'One'),
      request('b', 'Two'),
      request('bad', 'Three', 'claude-x'),
    ];
    const created = await client.messages.batches.create({ requests });
    expect(created).toMatchObject({
      type: 'message_batch',
      processing_status: 'in_progress',
      results_url: null,
      request_counts: { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
    });
    expect(created.id).toMatch(/^msgbatch_01/);
    await expect(client.messages.batches.results(created.id)).rejects.toThrow(/results_url/);
    const early = await fetch(`${simulator.url}/v1/messages/batches/${created.id}/results`, {
      headers: { 'x-api-key': 'sim' },
    });
    expect(early.status).toBe(400);

    now += 10_000;
    const ended = await client.messages.batches.retrieve(created.id);
    expect(ended.processing_status).toBe('ended');
    expect(ended.request_counts).toEqual({
      processing: 0,
      succeeded: 2,
      errored: 1,
      canceled: 0,
      expired: 0,
    });
    expect(ended.ended_at).toBe(new Date(now).toISOString());

    const results = await collect(await client.messages.batches.results(created.id));
    expect(results.map((result) => [result.custom_id, result.result.type])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['bad', 'errored'],
    ]);
    const first = results[0]?.result;
    expect(first?.type === 'succeeded' && first.message.stop_reason).toBe('end_turn');
    const bad = results[2]?.result;
    expect(bad?.type === 'errored' && bad.error.error.type).toBe('not_found_error');
  });

  it('cancels a batch: unrun requests end canceled', async () => {
    const client = anthropicClient(simulator);
    const created = await client.messages.batches.create({
      requests: [
        request('a', 'One'),
        request('b', 'Two'),
        request('c', 'Three'),
        request('d', 'Four'),
      ],
    });
    now += 5_000;
    const canceling = await client.messages.batches.cancel(created.id);
    expect(canceling.processing_status).toBe('canceling');
    expect(canceling.cancel_initiated_at).toBe(new Date(now).toISOString());
    const ended = await client.messages.batches.retrieve(created.id);
    expect(ended.processing_status).toBe('ended');
    expect(ended.request_counts).toMatchObject({ succeeded: 2, canceled: 2 });
    const results = await collect(await client.messages.batches.results(created.id));
    expect(results.map((result) => result.result.type)).toEqual([
      'succeeded',
      'succeeded',
      'canceled',
      'canceled',
    ]);
    await expect(client.messages.batches.delete(created.id)).resolves.toMatchObject({
      type: 'message_batch_deleted',
    });
    await expect(client.messages.batches.retrieve(created.id)).rejects.toMatchObject({
      status: 404,
    });
  });

  it('expires requests not run within the window', async () => {
    simulator.configure({ batches: { turnaroundMs: 40_000, expiresAfterMs: 10_000 } });
    const client = anthropicClient(simulator);
    const created = await client.messages.batches.create({
      requests: [
        request('a', 'One'),
        request('b', 'Two'),
        request('c', 'Three'),
        request('d', 'Four'),
      ],
    });
    now += 10_000;
    const ended = await client.messages.batches.retrieve(created.id);
    expect(ended.request_counts).toMatchObject({ succeeded: 1, expired: 3 });
  });

  it('refuses duplicate custom ids and unknown fields', async () => {
    const client = anthropicClient(simulator);
    await expect(
      client.messages.batches.create({ requests: [request('a', 'One'), request('a', 'Two')] }),
    ).rejects.toMatchObject({ status: 400 });
    await expect(
      client.messages.batches.create({
        requests: [request('a', 'One')],
        // @ts-expect-error: a field the API does not know
        priority: 1,
      }),
    ).rejects.toMatchObject({ status: 400 });
  });
});
