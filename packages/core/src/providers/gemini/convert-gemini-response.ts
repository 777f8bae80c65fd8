import type { AssistantContentPart } from '../../messages/content-part';
import type { GenerateResult } from '../language-model';
import { ProviderError } from '../provider-error';
import { convertGeminiFinishReason } from './convert-gemini-finish-reason';
import { convertGeminiUsage } from './convert-gemini-usage';
import type { GenerateContentResponse, Part } from './gemini-sdk';
import { textSignaturePart } from './gemini-text-signature';
import { toolCallIdOf } from './gemini-tool-call-id';

/**
 * One Gemini part as llmq content: a thought is reasoning, a function call a tool call, a text
 * text; a text part's thought signature follows it as a reasoning part (gemini-text-signature.ts).
 */
export function convertGeminiPart(part: Part): AssistantContentPart[] {
  if (part.functionCall !== undefined) {
    return [
      {
        type: 'tool-call',
        toolCallId: toolCallIdOf({
          ...(part.functionCall.id === undefined ? {} : { id: part.functionCall.id }),
          ...(part.thoughtSignature === undefined
            ? {}
            : { thoughtSignature: part.thoughtSignature }),
        }),
        toolName: part.functionCall.name ?? '',
        arguments: JSON.stringify(part.functionCall.args ?? {}),
      },
    ];
  }
  if (part.text === undefined) return [];
  if (part.thought === true) {
    return part.thoughtSignature === undefined
      ? [{ type: 'reasoning', text: part.text }]
      : [{ type: 'reasoning', text: part.text, signature: part.thoughtSignature }];
  }
  const text: AssistantContentPart[] = part.text === '' ? [] : [{ type: 'text', text: part.text }];
  return part.thoughtSignature === undefined
    ? text
    : [...text, textSignaturePart(part.thoughtSignature)];
}

export interface GeminiResponseContext {
  provider: string;
  modelId: string;
}

/**
 * Converts a whole `generateContent` answer. A prompt blocked before any candidate answers
 * with no content and `content_filter`; an answer without usage is malformed.
 */
export function convertGeminiResponse(
  response: GenerateContentResponse,
  context: GeminiResponseContext,
): GenerateResult {
  if (response.usageMetadata === undefined) {
    throw new ProviderError({
      code: 'malformed_response',
      message: `${context.provider}: the answer has no usageMetadata`,
      provider: context.provider,
    });
  }
  const candidate = response.candidates?.[0];
  const content: AssistantContentPart[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    content.push(...convertGeminiPart(part));
  }
  const calledTools = content.some((part) => part.type === 'tool-call');
  const finishReason =
    candidate === undefined
      ? response.promptFeedback?.blockReason === undefined
        ? 'other'
        : 'content_filter'
      : convertGeminiFinishReason(candidate.finishReason, calledTools);
  let text = '';
  for (const part of content) if (part.type === 'text') text += part.text;
  return {
    content,
    text,
    finishReason,
    usage: convertGeminiUsage(response.usageMetadata),
    responseModel: response.modelVersion ?? context.modelId,
    ...(response.responseId === undefined ? {} : { responseId: response.responseId }),
  };
}
