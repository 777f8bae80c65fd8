import type Anthropic from '@anthropic-ai/sdk';

let sdk: typeof Anthropic | undefined;

/**
 * The Anthropic SDK, loaded on first use: its ~270 modules take ~11 MB, which a worker whose
 * jobs never reach a Claude-style account (or has not yet) need not hold.
 */
export function anthropicSdk(): typeof Anthropic {
  sdk ??= (require('@anthropic-ai/sdk') as { default: typeof Anthropic }).default;
  return sdk;
}
