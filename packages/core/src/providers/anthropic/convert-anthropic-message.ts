import type Anthropic from '@anthropic-ai/sdk';
import { answerText } from '../../messages/chat-result';
import type { AssistantContentPart } from '../../messages/content-part';
import type { GenerateResult } from '../language-model';
import { ProviderError } from '../provider-error';
import { convertAnthropicFinishReason } from './convert-anthropic-finish-reason';
import { convertAnthropicUsage } from './convert-anthropic-usage';

/** One content block of an answer as a neutral part; blocks we do not model are refused. */
function convertBlock(block: Anthropic.ContentBlock, provider: string): AssistantContentPart {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'thinking':
      return { type: 'reasoning', text: block.thinking, signature: block.signature };
    case 'redacted_thinking':
      return { type: 'reasoning', text: '', redactedData: block.data };
    case 'tool_use':
      return {
        type: 'tool-call',
        toolCallId: block.id,
        toolName: block.name,
        arguments: JSON.stringify(block.input ?? {}),
      };
    default:
      // Server tools (web search, code execution) are never requested by llmq.
      throw new ProviderError({
        code: 'malformed_response',
        message: `${provider}: unexpected content block "${block.type}"`,
        provider,
      });
  }
}

/** Converts a (non-streamed) Messages API answer to a GenerateResult. */
export function convertAnthropicMessage(
  message: Anthropic.Message,
  options: { provider: string; modelId: string },
): GenerateResult {
  if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
    throw new ProviderError({
      code: 'malformed_response',
      message: `${options.provider}: malformed message: no content`,
      provider: options.provider,
    });
  }
  const content = message.content.map((block) => convertBlock(block, options.provider));
  const result: GenerateResult = {
    content,
    text: answerText(content),
    finishReason: convertAnthropicFinishReason(message.stop_reason),
    usage: convertAnthropicUsage(message.usage ?? {}),
    responseModel: message.model ?? options.modelId,
    responseId: message.id,
  };
  if (message.stop_reason === 'stop_sequence' && typeof message.stop_sequence === 'string') {
    result.stopSequence = message.stop_sequence;
  }
  return result;
}
