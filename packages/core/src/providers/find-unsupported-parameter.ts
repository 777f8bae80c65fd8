import type { ChatRequest } from '../messages/chat-request';
import {
  isUnsupportedParameterError,
  type UnsupportedParameterError,
} from '../messages/unsupported-parameter-error';
import { convertToAnthropicMessagesRequest } from './anthropic/convert-to-anthropic-messages-request';
import { convertToGeminiRequest } from './gemini/convert-to-gemini-request';
import { convertToOpenAIChatRequest } from './openai/convert-to-openai-chat-request';
import type { ProviderKind } from './provider';

/**
 * The first field of `request` a model of this provider kind cannot take, found by running
 * the adapter's own request converter, so a submit can be refused with 400
 * `unsupported_parameter` before anything is enqueued. Undefined when the model can take it all.
 */
export function findUnsupportedParameter(
  kind: ProviderKind,
  modelId: string,
  request: ChatRequest,
): UnsupportedParameterError | undefined {
  try {
    switch (kind) {
      case 'openai':
      case 'azure-openai':
        convertToOpenAIChatRequest(modelId, request, { maxTokensField: 'max_completion_tokens' });
        return undefined;
      case 'openai-compatible':
        convertToOpenAIChatRequest(modelId, request, { maxTokensField: 'max_tokens' });
        return undefined;
      case 'anthropic':
        convertToAnthropicMessagesRequest(modelId, request, { maxTokensDefault: 1 });
        return undefined;
      case 'gemini':
        convertToGeminiRequest(modelId, request);
        return undefined;
      default: {
        const unreachable: never = kind;
        throw new Error(`unknown provider kind ${String(unreachable)}`);
      }
    }
  } catch (error) {
    if (isUnsupportedParameterError(error)) return error;
    throw error;
  }
}
