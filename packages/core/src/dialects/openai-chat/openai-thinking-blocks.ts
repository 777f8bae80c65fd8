import type { AssistantContentPart, ReasoningPart } from '../../messages/content-part';
import type { OpenAIThinkingBlock } from './openai-chat-request-schema';

/**
 * Signed reasoning as `thinking_blocks` (LiteLLM's field for Anthropic thinking in the OpenAI
 * format). Reasoning without a signature (an OpenAI-style model's) has no block: it travels as
 * `reasoning_content` alone. Undefined when there is no signed or redacted reasoning.
 */
export function thinkingBlocksOf(
  parts: readonly AssistantContentPart[],
): OpenAIThinkingBlock[] | undefined {
  const blocks = parts.flatMap((part): OpenAIThinkingBlock[] => {
    if (part.type !== 'reasoning') return [];
    if (part.redactedData !== undefined)
      return [{ type: 'redacted_thinking', data: part.redactedData }];
    if (part.signature === undefined) return [];
    return [{ type: 'thinking', thinking: part.text, signature: part.signature }];
  });
  return blocks.length === 0 ? undefined : blocks;
}

/** `thinking_blocks` sent back by a client as neutral reasoning parts, signatures kept. */
export function reasoningPartsOf(blocks: readonly OpenAIThinkingBlock[]): ReasoningPart[] {
  return blocks.map((block) =>
    block.type === 'thinking'
      ? { type: 'reasoning', text: block.thinking, signature: block.signature }
      : { type: 'reasoning', text: '', redactedData: block.data },
  );
}
