import {
  ciHostileSizes,
  freePort,
  type HostileRequest,
  hostileRequests,
  testEnv,
  waitFor,
} from '@llmq/testing';
import { apiKey, startSystem } from './system-harness';

/**
 * Hostile input against the real API and worker processes: every POST route gets the fixed
 * hostile set (`@llmq/testing` hostile-requests) while a small job is submitted every 100 ms.
 * Every hostile body gets a 2xx or a clean 4xx JSON error, every small request is answered,
 * and both processes' event-loop delay (prom-client's `nodejs_eventloop_lag_p99_seconds`,
 * from `perf_hooks.monitorEventLoopDelay`, reset at each scrape) stays under 100 ms at p99
 * over the run, plus what the machine alone adds (the p99 with the small requests alone,
 * measured just before in the same run). `bench/hostile-input.mjs` runs the full-size set and reports the figures.
 */
type System = Awaited<ReturnType<typeof startSystem>>;
const metricsToken = 'e2e-metrics-token-hostile';
let system: System;
let workerMetricsUrl: string;

beforeAll(async () => {
  system = await startSystem({
    workers: 0,
    env: { METRICS_TOKEN: metricsToken, RATE_LIMIT_REQUESTS_PER_MINUTE: '0' },
  });
  const port = await freePort();
  system.startWorker({ WORKER_METRICS_PORT: String(port), WORKER_METRICS_HOST: '127.0.0.1' });
  workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  await waitFor(
    async () =>
      (await fetch(workerMetricsUrl, scrapeAuth()).catch(() => undefined))?.ok ? true : undefined,
    { timeoutMs: 15_000, what: 'the worker metrics port' },
  );
}, 60_000);
afterAll(async () => {
  await system?.stop();
});

function scrapeAuth(): RequestInit {
  return { headers: { Authorization: `Bearer ${metricsToken}` } };
}

/** The event-loop delay p99 and max since the previous scrape, seconds. */
async function eventLoopDelay(url: string): Promise<{ p99: number; max: number }> {
  const response = await fetch(url, scrapeAuth());
  expect(response.status).toBe(200);
  const text = await response.text();
  const value = (name: string) => {
    const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
    expect(line).toBeDefined();
    return Number(line?.split(' ')[1]);
  };
  return {
    p99: value('nodejs_eventloop_lag_p99_seconds'),
    max: value('nodejs_eventloop_lag_max_seconds'),
  };
}

interface Answer {
  name: string;
  status: number;
  /** The body is JSON with an `error` object holding a code and a message. */
  cleanError: boolean;
  ms: number;
}

async function send(request: HostileRequest): Promise<Answer> {
  const started = performance.now();
  const headers: Record<string, string> = { Authorization: `Bearer ${apiKey}` };
  if (request.contentType) headers['Content-Type'] = request.contentType;
  try {
    const response = await fetch(`${system.apiUrl}${request.path}`, {
      method: 'POST',
      headers,
      body: request.body,
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let cleanError = false;
    try {
      const error = JSON.parse(text).error;
      cleanError =
        typeof error?.message === 'string' &&
        (typeof error.code === 'string' || typeof error.type === 'string');
    } catch {
      cleanError = false;
    }
    return {
      name: request.name,
      status: response.status,
      cleanError,
      ms: performance.now() - started,
    };
  } catch (error) {
    // A hang (the timeout) or a dropped connection: status 0 fails the test below.
    return {
      name: `${request.name} (${String(error)})`,
      status: 0,
      cleanError: false,
      ms: performance.now() - started,
    };
  }
}

/** Submits a small job every 100 ms until the returned stop function is called. */
function startProbes(): () => Promise<Array<{ status: number; ms: number; id?: string }>> {
  const probes: Array<Promise<{ status: number; ms: number; id?: string }>> = [];
  let probing = true;
  const prober = (async () => {
    while (probing) {
      const started = performance.now();
      probes.push(
        system
          .request('POST', '/v1/jobs', { model: 'sim-gpt-fast', prompt: 'ping', max_tokens: 4 })
          .then((response) => ({
            status: response.status,
            ms: performance.now() - started,
            id: response.body?.id,
          }))
          .catch(() => ({ status: 0, ms: performance.now() - started })),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  return async () => {
    probing = false;
    await prober;
    return Promise.all(probes);
  };
}

describe('hostile input on every POST route', () => {
  it('answers every hostile body cleanly while small requests keep flowing and both event loops stay responsive', async () => {
    const requests = hostileRequests(ciHostileSizes);
    expect(requests.length).toBeGreaterThan(100);
    // Baseline in the same run: the small requests alone for 5 s. What the machine itself adds
    // to the event-loop delay (a process the OS does not schedule shows as delay too) is
    // allowed on top of the 100 ms; on an idle machine that is a few ms.
    await eventLoopDelay(`${system.apiUrl}/metrics`);
    await eventLoopDelay(workerMetricsUrl);
    const stopBaseline = startProbes();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const baselineProbes = await stopBaseline();
    expect(baselineProbes.filter((probe) => probe.status !== 202)).toEqual([]);
    // Reading also resets both histograms: the p99 read at the end covers the hostile run only.
    const apiBaseline = await eventLoopDelay(`${system.apiUrl}/metrics`);
    const workerBaseline = await eventLoopDelay(workerMetricsUrl);

    const stopProbes = startProbes();

    // One hostile client at a time, sequentially: the test measures what one request does to
    // the event loops, not how the machine copes with a flood.
    const answers: Answer[] = [];
    for (const hostile of requests) {
      const answer = await send(hostile);
      if (testEnv().HOSTILE_DEBUG)
        process.stderr.write(`${answer.status} ${Math.round(answer.ms)} ms ${answer.name}\n`);
      answers.push(answer);
    }
    const probeAnswers = await stopProbes();

    const [apiDelay, workerDelay] = [
      await eventLoopDelay(`${system.apiUrl}/metrics`),
      await eventLoopDelay(workerMetricsUrl),
    ];

    if (testEnv().HOSTILE_DEBUG)
      process.stderr.write(
        `${JSON.stringify({ apiDelay, workerDelay, apiBaseline, workerBaseline })}\n`,
      );
    // Every hostile body: a 2xx, or a 4xx with a JSON error; never a 5xx, never a hang.
    const bad = answers.filter(
      (answer) =>
        !(
          (answer.status >= 200 && answer.status < 300) ||
          (answer.status >= 400 && answer.status < 500 && answer.cleanError)
        ),
    );
    expect(bad).toEqual([]);
    expect(answers).toHaveLength(requests.length);

    // Every small request answered, and the worker kept running jobs: the last one completes.
    expect(probeAnswers.length).toBeGreaterThan(10);
    expect(probeAnswers.filter((probe) => probe.status !== 202)).toEqual([]);
    const lastProbe = probeAnswers.at(-1)?.id;
    expect(lastProbe).toBeDefined();
    expect((await system.waitForJob(lastProbe as string)).status).toBe('completed');

    expect(apiDelay.p99).toBeLessThan(0.1 + apiBaseline.p99);
    expect(workerDelay.p99).toBeLessThan(0.1 + workerBaseline.p99);
  }, 120_000);
});
