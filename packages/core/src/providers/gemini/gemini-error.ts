import type { CallSignal } from '../call-signal';
import { isProviderError, type ProviderError } from '../provider-error';
import { providerErrorFromStatus } from '../provider-error-from-status';
import { type CallPhase, providerErrorFromTransport } from '../transport-error';

export interface GeminiErrorContext {
  provider: string;
  call: CallSignal;
  phase: CallPhase;
}

/** Google's error body: `{error: {code, message, status, details}}`. */
interface GoogleErrorBody {
  message?: string;
  status?: string;
  details?: Array<{ '@type'?: string; retryDelay?: string }>;
}

/**
 * Turns whatever `@google/genai` (or the fetch under it) threw into a ProviderError. The SDK
 * throws an `ApiError` with the HTTP status and the error body as JSON text in its message
 * (after `got status: …. ` when the error came inside a stream); the body's `RetryInfo`
 * detail says how long to wait on a 429 or 503, as the Gemini API sends no Retry-After.
 */
export function mapGeminiError(error: unknown, context: GeminiErrorContext): ProviderError {
  if (isProviderError(error)) return error;
  const { provider, phase } = context;
  const abortError = context.call.abortError(provider, error);
  if (abortError) return abortError;
  const status = apiErrorStatus(error);
  if (status !== undefined) {
    const body = parseErrorBody((error as Error).message);
    return providerErrorFromStatus({
      provider,
      statusCode: status,
      message: body?.message ?? (error as Error).message,
      getHeader: () => undefined,
      retryAfterMs: retryDelayMs(body),
      cause: error,
    });
  }
  return providerErrorFromTransport(error, provider, phase);
}

/** The status of the SDK's `ApiError`, told by name: the class may come from another module copy. */
function apiErrorStatus(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== 'ApiError') return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

function parseErrorBody(message: string): GoogleErrorBody | undefined {
  const start = message.indexOf('{');
  if (start < 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(message.slice(start));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const inner = (parsed as { error?: unknown }).error;
    return typeof inner === 'object' && inner !== null ? (inner as GoogleErrorBody) : undefined;
  } catch {
    return undefined;
  }
}

/** `RetryInfo.retryDelay` (a protobuf Duration such as `"2s"` or `"0.5s"`), in milliseconds. */
function retryDelayMs(body: GoogleErrorBody | undefined): number | undefined {
  const retryInfo = body?.details?.find(
    (detail) => detail['@type'] === 'type.googleapis.com/google.rpc.RetryInfo',
  );
  const match = /^(\d+(?:\.\d+)?)s$/.exec(retryInfo?.retryDelay ?? '');
  return match === null ? undefined : Math.round(Number(match[1]) * 1000);
}
