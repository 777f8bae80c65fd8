// Small HTTP calls for start.mjs: readiness probes and JSON requests to the API.

/** One JSON request; `body` is sent as JSON. Resolves `{status, body}` (body parsed when JSON). */
export async function requestJson(
  url,
  { method = 'GET', headers = {}, body, timeoutMs = 5000 } = {},
) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the error message
  }
  return { status: response.status, body: parsed };
}

/**
 * Polls `url` until it answers 2xx. Resolves `{ok: true}` or, after `timeoutMs` or once
 * `shouldGiveUp()` is true, `{ok: false, lastProblem}` describing the last failed attempt.
 */
export async function waitForHttpOk(url, { timeoutMs, shouldGiveUp = () => false }) {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline && !shouldGiveUp()) {
    try {
      const { status, body } = await requestJson(url, { timeoutMs: 2000 });
      if (status >= 200 && status < 300) return { ok: true };
      lastProblem = `HTTP ${status} ${typeof body === 'string' ? body : JSON.stringify(body)}`;
    } catch (error) {
      lastProblem = error.cause?.code ?? error.name ?? String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { ok: false, lastProblem };
}
