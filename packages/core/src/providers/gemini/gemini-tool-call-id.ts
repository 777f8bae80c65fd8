import { randomUUID } from 'node:crypto';

/**
 * The Gemini API usually gives function calls no id; llmq's message model needs one to pair a
 * tool result with its call. Ids llmq made up carry this prefix, so they are never sent back
 * to Gemini as if the model had given them.
 */
const generatedPrefix = 'llmq_fc_';

/** The id of a function call: the model's own, else a generated one. */
export function toolCallIdOf(id: string | undefined): string {
  return id !== undefined && id.length > 0 ? id : `${generatedPrefix}${randomUUID()}`;
}

export function isGeneratedToolCallId(id: string): boolean {
  return id.startsWith(generatedPrefix);
}
