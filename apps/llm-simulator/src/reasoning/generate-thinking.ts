import { generateReply, type Reply } from '../generation/generate-reply';

/** Text of the redacted thinking Anthropic's documented test string asks for. */
export const REDACTED_THINKING_TRIGGER =
  'ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253D5E2D82641AC0E52CC2876CB';

/**
 * The reasoning of an answer: generated sentences seeded apart from the reply (20 to 120
 * tokens), cut at `budgetTokens`.
 */
export function generateThinking(seedMaterial: string, budgetTokens: number): Reply {
  return generateReply({
    seedMaterial: `${seedMaterial}\u0000thinking`,
    lastUserText: '',
    maxTokens: budgetTokens,
    stopSequences: [],
  });
}
