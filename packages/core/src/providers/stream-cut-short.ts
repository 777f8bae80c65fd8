import type { CallSignal } from './call-signal';
import { ProviderError } from './provider-error';

/**
 * The error of a stream that ended without what proves an answer complete (`missing`: a finish
 * reason, usage, `message_stop`, `[DONE]`): the call's own abort or timeout when that is why,
 * else a retryable `stream_interrupted`. SDKs end such streams quietly, so every adapter checks.
 */
export function streamCutShort(call: CallSignal, provider: string, missing: string): Error {
  return (
    call.abortError(provider) ??
    new ProviderError({
      code: 'stream_interrupted',
      message: `${provider}: the stream ended before ${missing}`,
      provider,
    })
  );
}
