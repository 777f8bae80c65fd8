import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RecordedRequest } from '../counters/simulator-counters';
import { drawHeaderFault, drawProfileFault } from '../faults/draw-fault';
import type { FaultKind } from '../faults/fault-kind';
import { readFaultHeaders } from '../faults/read-fault-headers';
import { rateLimitHeaders, retryAfterHeaders } from '../limits/rate-limit-headers';
import { mistralErrorDialect } from '../openai/mistral-error-dialect';
import { isSimulatedModelName } from '../profiles/model-profile';
import type { AnswerMode } from '../server/answer-mode';
import { playSseStream } from '../server/play-sse-stream';
import { parseJson, readRequestBody } from '../server/read-request-body';
import { sendJson } from '../server/send-json';
import type { SimulatorState } from '../server/simulator-state';
import { wait } from '../server/wait';
import { writeJsonAnswer } from '../server/write-json-answer';
import { describeValidationError } from './describe-validation-error';
import { type Dialect, type SimulatedError, setRequestIdHeader } from './dialect';
import { faultError } from './fault-error';
import type { ModelAnswer, ModelRoute } from './model-route';
import { readTracingHeaders } from './read-tracing-headers';

/**
 * Serves one call to a model route, in the order a real provider would: body, credentials,
 * validation, model, then the `x-sim-fault` header, the model's rpm/tpm window and its random
 * faults. The call is counted as soon as its status is known, before any delay, so a client
 * that reads the counters after its answer always finds its call there.
 */
export async function handleModelCall<Request extends { model: string }>(
  route: ModelRoute<Request>,
  request: IncomingMessage,
  response: ServerResponse,
  state: SimulatorState,
): Promise<void> {
  const { dialect } = route;
  const requestId = dialect.createRequestId();
  setRequestIdHeader(response, dialect, requestId);
  try {
    await serveModelCall(route, request, response, state, requestId);
  } catch (error) {
    // A bug must still answer, in the route's own error shape, rather than leave the call open.
    if (response.headersSent) {
      response.destroy();
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    const body = dialect.formatError(
      { status: 500, message: `Simulator failure: ${message}` },
      requestId,
    );
    sendJson(response, 500, body);
  }
}

async function serveModelCall<Request extends { model: string }>(
  route: ModelRoute<Request>,
  request: IncomingMessage,
  response: ServerResponse,
  state: SimulatorState,
  requestId: string,
): Promise<void> {
  const { dialect } = route;
  // The route's error shape, until the model's profile may name another.
  let errors: Dialect = dialect;
  const call: RecordedRequest = {
    at: state.clock(),
    route: route.path,
    model: '',
    status: 0,
    stream: false,
    inputCount: 0,
    headers: readTracingHeaders(request.headers),
  };
  const fail = (error: SimulatedError, headers: Record<string, string> = {}) => {
    call.status = error.status;
    state.counters.record(call);
    sendJson(response, error.status, errors.formatError(error, requestId), headers);
  };

  const body = await readRequestBody(request);
  if (!body.ok)
    return fail({ status: 413, message: 'Request body too large.', code: 'request_too_large' });
  const json = parseJson(body.text);
  if (json.ok) call.model = modelOf(json.value);
  if (!dialect.isAuthorized(request.headers)) {
    return fail({ status: 401, message: dialect.unauthorizedMessage, code: 'invalid_api_key' });
  }
  if (!json.ok) {
    return fail({
      status: 400,
      message: `We could not parse the JSON body of your request: ${json.message}`,
    });
  }
  const faultHeaders = readFaultHeaders(request.headers);
  if (!faultHeaders.ok) return fail({ status: 400, message: faultHeaders.message });
  const parsed = route.requestSchema.safeParse(json.value);
  if (!parsed.success) return fail(describeValidationError(parsed.error, dialect));
  const { model } = parsed.data;
  // Azure and Gemini name the model in the path, not the body.
  call.model = model;
  if (!isSimulatedModelName(model)) {
    return fail({
      status: 404,
      message: `The model \`${model}\` does not exist: the simulator only serves models named sim-*.`,
      param: 'model',
      code: 'model_not_found',
    });
  }
  const profile = state.profiles.resolve(model);
  if (dialect.name === 'openai' && profile.capabilities.errorShape === 'mistral') {
    errors = mistralErrorDialect;
  }
  const outcome = route.answer(parsed.data, { profile, promptCache: state.promptCache });
  if ('refused' in outcome) return fail(outcome.refused);
  const answer = outcome;
  call.stream = answer.stream;
  if (answer.flex === true) call.serviceTier = 'flex';
  call.inputCount = answer.inputCount;

  let fault: FaultKind | null = drawHeaderFault(faultHeaders.value);
  let headers: Record<string, string> = {};
  if (fault === null) {
    const decision = state.limiter.admit(
      model,
      profile,
      answer.inputTokens + answer.outputTokens,
      call.at,
    );
    if (!decision.admitted) {
      call.limitedBy = decision.limitedBy;
      return fail(
        {
          status: 429,
          message: `Rate limit reached for ${model} on ${decision.limitedBy === 'rpm' ? 'requests' : 'tokens'} per minute.`,
          code: 'rate_limit_exceeded',
          retryAfterMs: decision.retryAfterMs,
        },
        { ...retryAfterHeaders(decision.retryAfterMs), ...rateLimitHeaders(decision.state) },
      );
    }
    if (decision.state !== null) headers = rateLimitHeaders(decision.state);
    if (answer.flex === true && Math.random() < profile.flex.status429) {
      call.flexRefused = true;
      return fail(
        {
          status: 429,
          message:
            'Resource unavailable: flex processing has no capacity right now. Please retry later or use the default service tier.',
          code: 'resource_unavailable',
        },
        headers,
      );
    }
    fault = drawProfileFault(profile.faults);
  }
  if (fault !== null) call.fault = fault;
  if (fault === 'hang') {
    // Accept and never answer: the client's timeout or the server's close ends it.
    state.counters.record(call);
    return;
  }

  const delayMs =
    profile.perCallOverheadMs +
    (faultHeaders.value.latencyMs ?? profile.latencyMs) +
    (answer.flex === true ? profile.flex.extraLatencyMs : 0);
  // Stops delays, the wait for a call slot and stream pacing when the client leaves or the
  // server closes. A whole answer with no delay and no slot limit waits for nothing: it is
  // written in this turn of the event loop, before any `close` could be seen, so it skips the
  // signal (an AbortSignal is an EventTarget, some 7 µs of CPU to make).
  const signal =
    answer.stream || delayMs > 0 || profile.maxConcurrentCalls
      ? abortOnClose(response)
      : NEVER_ABORTED;

  // A model with `maxConcurrentCalls` serves that many calls at once; the rest wait in line.
  const release = await state.callSlots.acquire(model, profile.maxConcurrentCalls, signal);
  if (release === undefined) return;
  try {
    if (fault === null || fault === 'cut-stream' || fault === 'malformed') {
      call.status = 200;
      answer.onAnswered?.();
      call.tokens = answer.inputTokens + answer.outputTokens;
      state.counters.record(call, { input: answer.inputTokens, output: answer.outputTokens });
      if (!(await wait(delayMs, signal))) return;
      const mode: AnswerMode =
        fault === 'cut-stream' ? 'cut' : fault === 'malformed' ? 'malformed' : 'whole';
      // Awaited, so the slot is held until the whole answer is written.
      return await deliver(answer, mode, headers, response, profile, signal);
    }

    const retryAfterMs =
      1000 * (faultHeaders.value.retryAfterSeconds ?? profile.faults.retryAfterSeconds);
    const { error, headers: faultHeadersOut } = faultError(fault, model, profile, retryAfterMs);
    call.status = error.status;
    state.counters.record(call);
    if (!(await wait(delayMs, signal))) return;
    sendJson(response, error.status, errors.formatError(error, requestId), {
      ...headers,
      ...faultHeadersOut,
    });
  } finally {
    release();
  }
}

/** The signal of a call that waits for nothing (see `serveModelCall`). */
const NEVER_ABORTED = new AbortController().signal;

/**
 * A signal that aborts when `response` closes before its answer is written whole. Aborting
 * only unfinished answers spares the hot path an AbortError per request.
 */
function abortOnClose(response: ServerResponse): AbortSignal {
  const aborted = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) aborted.abort();
  });
  return aborted.signal;
}

async function deliver(
  answer: ModelAnswer,
  mode: AnswerMode,
  headers: Record<string, string>,
  response: ServerResponse,
  pacing: { timeToFirstTokenMs: number; tokensPerSecond: number },
  signal: AbortSignal,
): Promise<void> {
  if (answer.stream) {
    await playSseStream(response, answer.renderEvents(), pacing, mode, headers, signal);
  } else {
    writeJsonAnswer(response, answer.renderBody(), mode, headers);
  }
}

function modelOf(body: unknown): string {
  if (
    typeof body === 'object' &&
    body !== null &&
    'model' in body &&
    typeof body.model === 'string'
  ) {
    return body.model;
  }
  return '';
}
