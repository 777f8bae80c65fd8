import type { Conversation } from './conversation';

/** The parts of a request that decide its reply, in a provider-neutral shape. */
export interface ReplySeedInput {
  model: string;
  /** `[role, text]` for the system prompt and every message, in order. */
  conversation: Conversation;
  temperature: number | null;
  topP: number | null;
  seed: number | null;
  maxTokens: number | null;
  stopSequences: readonly string[];
}

/**
 * The canonical text a reply's PRNG is seeded from. Provider-neutral on purpose: the same
 * conversation sent as an OpenAI chat or an Anthropic message gets the same reply.
 */
export function replySeedMaterial(input: ReplySeedInput): string {
  return JSON.stringify([
    input.model,
    input.conversation,
    input.temperature,
    input.topP,
    input.seed,
    input.maxTokens,
    input.stopSequences,
  ]);
}
