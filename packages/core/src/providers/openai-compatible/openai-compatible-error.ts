import type { CallSignal } from '../call-signal';
import { headerReader, readText } from '../http/post-json';
import type { ProviderResponse } from '../http/provider-response';
import { isProviderError, type ProviderError } from '../provider-error';
import { providerErrorFromStatus } from '../provider-error-from-status';
import { type CallPhase, providerErrorFromTransport } from '../transport-error';

export interface OpenAICompatibleErrorContext {
  provider: string;
  call: CallSignal;
  phase: CallPhase;
}

/**
 * The words of an error body, in the shapes local servers use: OpenAI's
 * `{ error: { message } }`, Ollama's `{ error: "…" }`, vLLM's `{ message }`, FastAPI's
 * `{ detail }`; otherwise the start of the raw text.
 */
function errorBodyMessage(text: string): string | undefined {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null) {
      const { error, message, detail } = body as {
        error?: unknown;
        message?: unknown;
        detail?: unknown;
      };
      if (typeof error === 'string') return error;
      if (typeof error === 'object' && error !== null) {
        const nested = (error as { message?: unknown }).message;
        if (typeof nested === 'string') return nested;
      }
      if (typeof message === 'string') return message;
      if (typeof detail === 'string') return detail;
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, 500);
}

/**
 * The ProviderError for an HTTP error answer (status >= 400). Reads the body to the end,
 * which also frees the kept-alive socket for the next call.
 */
export async function providerErrorFromResponse(
  response: ProviderResponse,
  provider: string,
): Promise<ProviderError> {
  const getHeader = headerReader(response);
  const statusCode = response.statusCode;
  let text = '';
  try {
    text = await readText(response);
  } catch {
    // The status says enough; a body we could not read adds nothing.
  }
  return providerErrorFromStatus({
    provider,
    statusCode,
    message: errorBodyMessage(text),
    getHeader,
    requestId: getHeader('x-request-id'),
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
