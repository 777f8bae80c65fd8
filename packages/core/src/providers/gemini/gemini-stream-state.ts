import type { AssistantContentPart } from '../../messages/content-part';
import type { FinishReason, StreamPart } from '../language-model';
import { convertGeminiFinishReason } from './convert-gemini-finish-reason';
import { convertGeminiPart } from './convert-gemini-response';
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from './gemini-sdk';

/**
 * Turns `streamGenerateContent` chunks into stream parts. Each chunk carries new parts
 * (text and thoughts as deltas, function calls whole); the last one the finish reason, and
 * the usage so far rides on every chunk, so the last seen is the total.
 */
export class GeminiStreamState {
  finishReason: FinishReason | undefined;
  usage: GenerateContentResponseUsageMetadata | undefined;
  responseModel: string | undefined;
  responseId: string | undefined;
  private toolCallCount = 0;

  *accept(chunk: GenerateContentResponse): Iterable<StreamPart> {
    this.responseModel = chunk.modelVersion ?? this.responseModel;
    this.responseId = chunk.responseId ?? this.responseId;
    if (chunk.usageMetadata !== undefined) this.usage = chunk.usageMetadata;
    const candidate = chunk.candidates?.[0];
    for (const part of candidate?.content?.parts ?? []) {
      for (const converted of convertGeminiPart(part)) yield* this.partsOf(converted);
    }
    if (candidate?.finishReason !== undefined) {
      this.finishReason = convertGeminiFinishReason(candidate.finishReason, this.toolCallCount > 0);
    } else if (candidate === undefined && chunk.promptFeedback?.blockReason !== undefined) {
      this.finishReason = 'content_filter';
    }
  }

  private *partsOf(converted: AssistantContentPart): Iterable<StreamPart> {
    switch (converted.type) {
      case 'text':
        if (converted.text.length > 0) yield { type: 'text-delta', delta: converted.text };
        break;
      case 'reasoning':
        if (converted.text.length > 0) yield { type: 'reasoning-delta', delta: converted.text };
        if (converted.signature !== undefined)
          yield { type: 'reasoning-signature', signature: converted.signature };
        break;
      case 'tool-call': {
        const index = this.toolCallCount;
        this.toolCallCount += 1;
        yield {
          type: 'tool-call-start',
          index,
          toolCallId: converted.toolCallId,
          toolName: converted.toolName,
        };
        yield { type: 'tool-call-delta', index, argumentsDelta: converted.arguments };
        break;
      }
      default: {
        const unreachable: never = converted;
        throw new Error(`unknown part ${String(unreachable)}`);
      }
    }
  }
}
