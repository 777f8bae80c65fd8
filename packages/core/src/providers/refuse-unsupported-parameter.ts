import { isUnsupportedParameterError } from '../messages/unsupported-parameter-error';
import { ProviderError } from './provider-error';

/**
 * Runs a request conversion, turning an {@link UnsupportedParameterError} into the
 * non-retryable ProviderError `unsupported_parameter` (status 400) the pipeline understands:
 * a field the model cannot take is refused before any call, never dropped.
 */
export function convertOrRefuse<T>(provider: string, convert: () => T): T {
  try {
    return convert();
  } catch (error) {
    if (!isUnsupportedParameterError(error)) throw error;
    throw new ProviderError({
      code: 'unsupported_parameter',
      message: `${provider}: ${error.message}`,
      provider,
      statusCode: 400,
      isRetryable: false,
      cause: error,
    });
  }
}
