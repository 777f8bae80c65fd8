import type { CallSignal } from '../call-signal';
import { headerReader, readText } from '../http/post-json';
import type { ProviderResponse, ResponseHeaders } from '../http/provider-response';
import type { WholeAnswer } from '../http/whole-answer';
import { isProviderError, type ProviderError, type ProviderErrorCode } from '../provider-error';
import { providerErrorFromStatus } from '../provider-error-from-status';
import { type CallPhase, providerErrorFromTransport } from '../transport-error';

export interface OpenAICompatibleErrorContext {
  provider: string;
  call: CallSignal;
  phase: CallPhase;
}

/** What an error body says, in whichever shape the server used. */
interface ErrorBody {
  /** The server's words, or the start of the raw text. */
  message: string | undefined;
  /** The error's `type`, when the body names one (OpenAI's, Mistral's, vLLM's). */
  type: string | undefined;
  /**
   * The body's `request_id`: Mistral's 401 has it there and no `x-request-id`
   * (`{"message":"Unauthorized","request_id":"…"}`).
   */
  requestId?: string;
}

/**
 * Reads an error body in the shapes OpenAI-compatible servers use: OpenAI's
 * `{ error: { message, type } }`, Ollama's `{ error: "…" }`, Mistral's and vLLM's top-level
 * `{ object: "error", message, type, code }` (Mistral's 422 with `message: { detail: […] }`,
 * its 401 `{ message, request_id }`),
 * FastAPI's `{ detail }` (a string, or pydantic's list of `{ loc, msg }`); otherwise the start
 * of the raw text.
 */
function readErrorBody(text: string): ErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (typeof body === 'object' && body !== null) {
    const { error, message, detail, type, request_id } = body as Record<string, unknown>;
    const nested =
      typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
    const words =
      (typeof error === 'string' ? error : undefined) ??
      stringOrDetail(nested.message) ??
      stringOrDetail(message) ??
      detailWords(detail);
    const named =
      typeof nested.type === 'string' ? nested.type : typeof type === 'string' ? type : undefined;
    const requestId = typeof request_id === 'string' && request_id !== '' ? request_id : undefined;
    if (words !== undefined)
      return { message: words, type: named, ...(requestId !== undefined ? { requestId } : {}) };
  }
  const trimmed = text.trim();
  return { message: trimmed === '' ? undefined : trimmed.slice(0, 500), type: undefined };
}

/** A message that is a string, or Mistral's `{ detail: […] }` object in its place. */
function stringOrDetail(message: unknown): string | undefined {
  if (typeof message === 'string') return message;
  if (typeof message === 'object' && message !== null) {
    return detailWords((message as { detail?: unknown }).detail);
  }
  return undefined;
}

/** FastAPI's `detail`: a sentence, or pydantic's errors as `body.seed: Extra inputs are not permitted`. */
function detailWords(detail: unknown): string | undefined {
  if (typeof detail === 'string') return detail;
  if (!Array.isArray(detail)) return undefined;
  const lines = detail.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const { loc, msg } = item as { loc?: unknown; msg?: unknown };
    if (typeof msg !== 'string') return [];
    return [Array.isArray(loc) && loc.length > 0 ? `${loc.join('.')}: ${msg}` : msg];
  });
  return lines.length > 0 ? lines.join('; ').slice(0, 500) : undefined;
}

/**
 * The code an error body's `type` says more precisely than its status: Mistral answers an
 * unknown model with 400 `invalid_model` (code `1500`), which is `model_not_found`.
 */
function codeForType(type: string | undefined): ProviderErrorCode | undefined {
  return type === 'invalid_model' ? 'model_not_found' : undefined;
}

/**
 * The ProviderError for an HTTP error answer (status >= 400). Reads the body to the end,
 * which also frees the kept-alive socket for the next call.
 */
export async function providerErrorFromResponse(
  response: ProviderResponse,
  provider: string,
): Promise<ProviderError> {
  let text = '';
  try {
    text = await readText(response);
  } catch {
    // The status says enough; a body we could not read adds nothing.
  }
  return providerErrorFromAnswer(response.statusCode, text, response, provider);
}

/**
 * The same for an error answer read whole (see `postJsonWhole`): a body that could not be read
 * (`bodyError`) counts as empty, the status says enough.
 */
export function providerErrorFromWholeAnswer(answer: WholeAnswer, provider: string): ProviderError {
  return providerErrorFromAnswer(answer.statusCode, answer.text, answer, provider);
}

function providerErrorFromAnswer(
  statusCode: number,
  text: string,
  response: { readonly headers: ResponseHeaders },
  provider: string,
): ProviderError {
  const getHeader = headerReader(response);
  const body = readErrorBody(text);
  return providerErrorFromStatus({
    provider,
    statusCode,
    message: body.message,
    code: codeForType(body.type),
    getHeader,
    requestId: getHeader('x-request-id') ?? body.requestId,
  });
}

/** Turns whatever a call threw (abort, socket error, bad JSON) into a ProviderError. */
export function mapOpenAICompatibleError(
  error: unknown,
  context: OpenAICompatibleErrorContext,
): ProviderError {
  if (isProviderError(error)) return error;
  // The transport reports an abort as an AbortError or a broken socket depending on timing; the
  // call signal knows whether it was the caller or our timer.
  return (
    context.call.abortError(context.provider, error) ??
    providerErrorFromTransport(error, context.provider, context.phase)
  );
}
