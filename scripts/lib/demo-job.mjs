// Submits one prompt job through the API and polls it to the end: the proof that API, Redis,
// worker and simulator work together.
import { requestJson } from './http-checks.mjs';

const FINAL_STATES = new Set(['completed', 'failed', 'cancelled']);

/**
 * @param {{apiUrl: string, apiKey: string, model: string, timeoutMs: number, log: (line: string) => void}} options
 * @returns {Promise<{ok: true, job: object} | {ok: false, reason: string, job?: object}>}
 */
export async function runDemoJob({ apiUrl, apiKey, model, timeoutMs, log }) {
  const headers = { authorization: `Bearer ${apiKey}` };
  const submitted = await requestJson(new URL('/v1/jobs', apiUrl), {
    method: 'POST',
    headers,
    body: {
      model,
      messages: [{ role: 'user', content: 'In one sentence: why put LLM calls behind a queue?' }],
    },
  });
  if (submitted.status !== 202 || typeof submitted.body?.id !== 'string') {
    return {
      ok: false,
      reason: `POST /v1/jobs answered ${submitted.status}: ${JSON.stringify(submitted.body)}`,
    };
  }
  const { id } = submitted.body;
  const self = new URL(submitted.body.links?.self ?? `/v1/jobs/${encodeURIComponent(id)}`, apiUrl);
  log(`demo job ${id} submitted (model ${model}); polling ${self.pathname}`);

  const deadline = Date.now() + timeoutMs;
  let lastStatus = submitted.body.status;
  let job = submitted.body;
  while (Date.now() < deadline) {
    const polled = await requestJson(self, { headers });
    if (polled.status !== 200) {
      return {
        ok: false,
        reason: `GET ${self.pathname} answered ${polled.status}: ${JSON.stringify(polled.body)}`,
      };
    }
    job = polled.body;
    if (job.status !== lastStatus) {
      log(`demo job ${id}: ${job.status}`);
      lastStatus = job.status;
    }
    if (job.status === 'completed') return { ok: true, job };
    if (FINAL_STATES.has(job.status)) {
      const error = job.error ? ` ${JSON.stringify(job.error)}` : '';
      return { ok: false, reason: `demo job ended as ${job.status}.${error}`, job };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    ok: false,
    reason: `demo job ${id} was still "${lastStatus}" after ${timeoutMs / 1000} s (is the worker taking jobs?)`,
    job,
  };
}

/** The lines that show a completed job: text, model, usage, timings. */
export function describeResult(job) {
  const result = job.result ?? {};
  const usage = result.usage ?? {};
  const timings = result.timings ?? {};
  const ms = (value) => (typeof value === 'number' ? `${Math.round(value)} ms` : '?');
  return [
    `text:    ${JSON.stringify(result.text)}`,
    `model:   ${result.model ?? '?'} (provider ${result.provider ?? '?'})`,
    `usage:   ${usage.input_tokens ?? '?'} input + ${usage.output_tokens ?? '?'} output = ${usage.total_tokens ?? '?'} tokens`,
    `timings: queue wait ${ms(timings.queue_wait_ms)}, provider ${ms(timings.provider_ms)}, total ${ms(timings.total_ms)}`,
  ];
}
