type OpenAIModule = typeof import('openai');

let sdk: OpenAIModule | undefined;

/**
 * The `openai` package, loaded on first use: its ~150 modules take ~11 MB, which a worker or
 * API that has not needed it need not hold (see `lazy-dependencies.test.ts`). The adapter's
 * calls go over the lean transport (`openai-http.ts`); the SDK is loaded only for its error
 * classes, when an answer is an error. Only types are imported from it elsewhere.
 */
export function openaiSdk(): OpenAIModule {
  sdk ??= require('openai') as OpenAIModule;
  return sdk;
}

/** The `openai` package if {@link openaiSdk} has loaded it, without loading it. */
export function loadedOpenAISdk(): OpenAIModule | undefined {
  return sdk;
}
