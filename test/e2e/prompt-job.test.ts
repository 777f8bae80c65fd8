import http from 'node:http';
import { Queue } from 'bullmq';
import { startSystem } from './system-harness';

type System = Awaited<ReturnType<typeof startSystem>>;
let system: System;

beforeAll(async () => {
  // One call per worker attempt, so the job-level retry is what this suite sees.
  system = await startSystem({
    workers: 1,
    env: { JOB_ATTEMPTS: '2' },
    workerEnv: { RETRY_MAX_PER_MODEL: '0' },
  });
});
afterAll(async () => {
  await system?.stop();
});

describe('one prompt job end to end: HTTP → Redis → worker process → simulator → result', () => {
  it.each([
    ['the OpenAI adapter', 'sim-gpt-fast', 'simulator-openai'],
    ['the Anthropic adapter', 'sim-claude-fast', 'simulator-anthropic'],
    ['the OpenAI-compatible adapter', 'sim-local-llama', 'local'],
  ])('completes through %s with usage and timings', async (_label, model, provider) => {
    const jobId = await system.submit({
      model,
      messages: [
        { role: 'system', content: 'You repeat what you are told.' },
        { role: 'user', content: `echo: hello from ${model}` },
      ],
      max_tokens: 50,
    });
    const job = await system.waitForJob(jobId);
    expect(job.status).toBe('completed');
    expect(job.result).toMatchObject({
      text: `hello from ${model}`,
      message: { role: 'assistant', content: `hello from ${model}` },
      finish_reason: 'stop',
      model,
      provider,
    });
    const { usage, timings } = job.result;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    expect(timings.queue_wait_ms).toBeGreaterThanOrEqual(0);
    expect(timings.provider_ms).toBeGreaterThan(0);
    expect(timings.total_ms).toBeGreaterThanOrEqual(timings.queue_wait_ms);
    expect(job.attempts).toBe(1);
    // The simulator saw exactly one call for this job, tagged with its id.
    const calls = system.simulator
      .counters()
      .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.model).toBe(model);
  });

  it('retries a provider 5xx and then fails the job with a clear code', async () => {
    system.simulator.configure({ models: { 'sim-gpt-strong': { faults: { status500: 1 } } } });
    const jobId = await system.submit({
      model: 'sim-gpt-strong',
      prompt: 'this will fail',
      fallbacks: false,
    });
    const job = await system.waitForJob(jobId);
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({
      code: 'provider_server_error',
      provider: 'simulator-openai',
      status_code: 500,
    });
    // Both worker attempts' calls are listed on the failure.
    expect(job.error.attempts).toEqual([
      expect.objectContaining({ model: 'sim-gpt-strong', outcome: 'error', status_code: 500 }),
      expect.objectContaining({ model: 'sim-gpt-strong', outcome: 'error', status_code: 500 }),
    ]);
    const calls = system.simulator
      .counters()
      .recent.filter((call) => call.headers['x-llmq-job-id'] === jobId);
    expect(calls).toHaveLength(2);
  });

  it('keeps a cancelled job from running', async () => {
    // The standard lane is paused (no worker takes a job from it), so the job is certainly
    // still queued when it is cancelled, however busy the machine is.
    const lane = new Queue('prompts-standard', { connection: system.redis, prefix: system.prefix });
    try {
      await lane.pause();
      const jobId = await system.submit({ model: 'sim-gpt-fast', prompt: 'never runs' });
      expect(await lane.getJobState(jobId)).toBe('prioritized');
      const cancel = await system.request('DELETE', `/v1/jobs/${jobId}`);
      expect(cancel.status).toBe(200);
      expect(cancel.body.status).toBe('cancelled');
      await lane.resume();
      // A job submitted after it runs to the end, so the worker did take work from the lane.
      const later = await system.waitForJob(
        await system.submit({ model: 'sim-gpt-fast', prompt: 'runs after the cancel' }),
      );
      expect(later.status).toBe('completed');
      const job = await system.waitForJob(jobId);
      expect(job.status).toBe('cancelled');
      expect(
        system.simulator.counters().recent.some((call) => call.headers['x-llmq-job-id'] === jobId),
      ).toBe(false);
    } finally {
      await lane.resume();
      await lane.close();
    }
  });
});

describe('HTTP connections', () => {
  it('keeps an idle keep-alive connection open for KEEP_ALIVE_TIMEOUT_MS (65 s by default), not Node’s 5 s', async () => {
    // The hint a client pool reads to know when the server will close an idle connection.
    const hint = await new Promise<string | undefined>((resolve, reject) => {
      const agent = new http.Agent({ keepAlive: true });
      http
        .get(`${system.apiUrl}/readyz`, { agent }, (response) => {
          response.resume();
          response.on('end', () => {
            agent.destroy();
            const value = response.headers['keep-alive'];
            resolve(typeof value === 'string' ? value : undefined);
          });
        })
        .on('error', reject);
    });
    expect(hint).toBe('timeout=65');
  });
});
