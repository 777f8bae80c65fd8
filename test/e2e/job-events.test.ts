import { waitFor } from '@llmq/testing';
import OpenAI from 'openai';
import { type ReceivedEvent, readEvents } from './read-sse';
import { apiKey, otherTenantApiKey, startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;

beforeAll(async () => {
  system = await startSystem({
    workers: 1,
    simulatorModels: {
      // About 60 ms per word: slow enough to drop a connection part-way through.
      'sim-gpt-strong': { tokensPerSecond: 30 },
      // Slow to start, so a client can leave while the job is active and nothing was sent.
      'sim-claude-strong': { timeToFirstTokenMs: 3000, tokensPerSecond: 30 },
      // A slow non-streamed answer, for a sync client that leaves while its job runs.
      'sim-local-llama': { latencyMs: 4000 },
    },
  });
});
afterAll(async () => {
  await system?.stop();
});

const auth = (key = apiKey) => ({ Authorization: `Bearer ${key}` });
const words = 'one two three four five six seven eight';

function eventsUrl(jobId: string): string {
  return `${system.apiUrl}/v1/jobs/${jobId}/events`;
}

function payload(event: ReceivedEvent) {
  return JSON.parse(event.data);
}

describe('GET /v1/jobs/:id/events', () => {
  it('resumes with Last-Event-ID, sending only the events the client missed', async () => {
    const jobId = await system.submit({
      model: 'sim-gpt-strong',
      prompt: `echo: ${words}`,
      stream: true,
    });
    // Drop the connection after a few events, while the job is still generating.
    const first = await readEvents(eventsUrl(jobId), auth(), { stopAfter: 4 });
    expect(first.status).toBe(200);
    expect(first.events).toHaveLength(4);
    const lastSeen = first.events[first.events.length - 1]?.id ?? '';
    expect(lastSeen).toMatch(/^\d+-\d+$/);

    const rest = await readEvents(eventsUrl(jobId), { ...auth(), 'Last-Event-ID': lastSeen });
    const final = rest.events[rest.events.length - 1];
    expect(final?.event).toBe('status');
    expect(payload(final as ReceivedEvent)).toMatchObject({
      status: 'completed',
      result: { text: words },
    });

    // Together they are exactly the whole stream, once each, in order.
    const whole = await readEvents(eventsUrl(jobId), auth());
    expect([...first.events, ...rest.events]).toEqual(whole.events);
    expect(whole.events.map((event) => event.event)).toEqual([
      'status',
      'status',
      ...Array(whole.events.length - 3).fill('delta'),
      'status',
    ]);
    expect(whole.events.slice(0, 2).map((event) => payload(event).status)).toEqual([
      'queued',
      'active',
    ]);
    const text = whole.events
      .filter((event) => event.event === 'delta')
      .map((event) => payload(event).text)
      .join('');
    expect(text).toBe(words);

    // Resuming after the last event of a finished job sends nothing and ends.
    const none = await readEvents(eventsUrl(jobId), {
      ...auth(),
      'Last-Event-ID': final?.id ?? '',
    });
    expect(none.events).toEqual([]);
  });

  it('reports status changes of a job that did not ask for token deltas', async () => {
    const jobId = await system.submit({ model: 'sim-gpt-fast', prompt: 'echo: quiet' });
    const { events } = await readEvents(eventsUrl(jobId), auth());
    expect(events.map((event) => payload(event).status)).toEqual(['queued', 'active', 'completed']);
  });

  it("answers 404 for another tenant's job, and 400 for a malformed Last-Event-ID", async () => {
    const jobId = await system.submit({ model: 'sim-gpt-fast', prompt: 'echo: mine' });
    const other = await system.request('GET', `/v1/jobs/${jobId}/events`, undefined, {
      Authorization: `Bearer ${otherTenantApiKey}`,
    });
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe('job_not_found');
    const malformed = await system.request('GET', `/v1/jobs/${jobId}/events`, undefined, {
      'Last-Event-ID': 'not-an-id',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('invalid_request');
  });
});

describe('a streaming client that disconnects', () => {
  it('cancels its job, stopping the worker mid-call', async () => {
    const openai = new OpenAI({ baseURL: `${system.apiUrl}/v1`, apiKey, maxRetries: 0 });
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'sim-claude-strong',
        messages: [{ role: 'user', content: `echo: ${words}` }],
        stream: true,
      })
      .withResponse();
    const jobId = response.headers.get('x-llmq-job-id') ?? '';
    await waitFor(
      async () => {
        const { body } = await system.request('GET', `/v1/jobs/${jobId}`);
        return body.status === 'active' ? true : undefined;
      },
      { what: 'the job to be active' },
    );
    stream.controller.abort();
    const job = await system.waitForJob(jobId, 10_000);
    expect(job.status).toBe('cancelled');
    expect(job.result).toBeUndefined();
  });

  it('leaves its job running when it asked to with x-llmq-cancel-on-disconnect: false', async () => {
    const openai = new OpenAI({
      baseURL: `${system.apiUrl}/v1`,
      apiKey,
      maxRetries: 0,
      defaultHeaders: { 'x-llmq-cancel-on-disconnect': 'false' },
    });
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'sim-gpt-strong',
        messages: [{ role: 'user', content: `echo: ${words}` }],
        stream: true,
      })
      .withResponse();
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) break;
    }
    const job = await system.waitForJob(response.headers.get('x-llmq-job-id') ?? '');
    expect(job.status).toBe('completed');
    expect(job.result.text).toBe(words);
  });
});

describe('a sync (non-streamed) client that disconnects', () => {
  it('cancels its running job too: the worker aborts the provider call', async () => {
    const controller = new AbortController();
    const pending = fetch(`${system.apiUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: 'sim-local-llama',
        messages: [{ role: 'user', content: 'echo: never delivered' }],
      }),
      signal: controller.signal,
    }).catch(() => undefined);
    // The worker's provider call is in flight (the simulator holds it for 4 s).
    const call = await waitFor(
      () =>
        system.simulator
          .counters()
          .recent.find(
            (entry) => entry.model === 'sim-local-llama' && entry.headers['x-llmq-job-id'],
          ),
      { what: 'the provider call to start' },
    );
    const jobId = call.headers['x-llmq-job-id'] ?? '';
    controller.abort();
    await pending;
    const job = await system.waitForJob(jobId, 10_000);
    expect(job.status).toBe('cancelled');
    // Had the call not been aborted, the answer would have arrived and completed the job.
    expect(job.result).toBeUndefined();
  });
});
