type OpenAIModule = typeof import('openai');

let sdk: OpenAIModule | undefined;

/**
 * The `openai` package, loaded on first use: its ~150 modules take ~11 MB, which a worker or
 * API that has not yet called an OpenAI-format account need not hold (see
 * `lazy-dependencies.test.ts`). Only types are imported from it elsewhere.
 */
export function openaiSdk(): OpenAIModule {
  sdk ??= require('openai') as OpenAIModule;
  return sdk;
}
