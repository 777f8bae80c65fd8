import type { AssistantContentPart } from '../../messages/content-part';
import type { FinishReason, StreamPart } from '../language-model';
import { convertGeminiFinishReason } from './convert-gemini-finish-reason';
import { convertGeminiPart } from './convert-gemini-response';
import type { GenerateContentResponse, GenerateContentResponseUsageMetadata } from './gemini-sdk';

/**
 * Turns `streamGenerateContent` chunks into stream parts. Each chunk carries new parts
 * (text and thoughts as deltas, function calls whole); the last one the finish reason, and
 * the usage so far rides on every chunk, so the last seen is the total. The first chunk opens
 * the stream with its `response-metadata`: Gemini has no fingerprint or service tier to tell,
 * and writes no prompt cache of the caller's (its implicit cache only reads, and
 * `convertGeminiUsage` reports no writes), so the part says zero cache writes, as the whole
 * answer's usage does.
 */
export class GeminiStreamState {
  finishReason: FinishReason | undefined;
  usage: GenerateContentResponseUsageMetadata | undefined;
  responseModel: string | undefined;
  responseId: string | undefined;
  private toolCallCount = 0;
  private metadataSent = false;

  *accept(chunk: GenerateContentResponse): Iterable<StreamPart> {
    if (!this.metadataSent) {
      this.metadataSent = true;
      yield { type: 'response-metadata', cacheWrites: { inputTokens: 0, oneHourInputTokens: 0 } };
    }
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
