import type Anthropic from '@anthropic-ai/sdk';

let sdk: typeof Anthropic | undefined;

/**
 * The Anthropic SDK, loaded on first use: its ~270 modules take ~11 MB, which a worker whose
 * jobs never reach a Claude-style account (or has not yet) need not hold. The adapter's calls go
 * over the lean transport (`anthropic-http.ts`); the SDK is loaded only for its error classes,
 * when an answer is an error. Only types are imported from it elsewhere.
 */
export function anthropicSdk(): typeof Anthropic {
  sdk ??= (require('@anthropic-ai/sdk') as { default: typeof Anthropic }).default;
  return sdk;
}

/** The SDK if {@link anthropicSdk} has loaded it, without loading it. */
export function loadedAnthropicSdk(): typeof Anthropic | undefined {
  return sdk;
}
