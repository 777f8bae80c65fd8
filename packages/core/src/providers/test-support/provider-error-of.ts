import { isProviderError, type ProviderError } from '../provider-error';

/** The ProviderError a promise rejects with (fails the test if it resolves or throws something else). */
export async function providerErrorOf(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    if (isProviderError(error)) return error;
    throw error;
  }
  throw new Error('expected a ProviderError, but the call succeeded');
}
