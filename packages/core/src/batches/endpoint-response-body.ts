import { randomUUID } from 'node:crypto';
import type { FinishReason } from '../providers/language-model';

/** One line's share of an embeddings call, as the output file reports it. */
export interface EmbeddingsLineAnswer {
  /** One vector per input of the line, in input order. */
  embeddings: number[][];
  /** The line's share of the call's input tokens. */
  inputTokens: number;
  responseModel: string;
}

/** One line's share of a completions call. */
export interface CompletionsLineAnswer {
  /** One choice per prompt of the line, `index` counted within the line. */
  choices: Array<{ index: number; text: string; finishReason: FinishReason }>;
  /** The line's share of the call's usage. */
  inputTokens: number;
  outputTokens: number;
  responseModel: string;
  /** The provider's id of the call (shared by the lines it carried). */
  responseId?: string;
}

/** A float32 vector as OpenAI's `encoding_format: "base64"` sends it: little-endian bytes, base64. */
export function encodeEmbeddingBase64(vector: readonly number[]): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  vector.forEach((value, index) => {
    bytes.writeFloatLE(value, index * 4);
  });
  return bytes.toString('base64');
}

/** An OpenAI `/v1/embeddings` response body (`object: "list"`) for one batch line. */
export function toEmbeddingsBody(answer: EmbeddingsLineAnswer, encodingFormat: 'float' | 'base64') {
  return {
    object: 'list' as const,
    data: answer.embeddings.map((vector, index) => ({
      object: 'embedding' as const,
      index,
      embedding: encodingFormat === 'base64' ? encodeEmbeddingBase64(vector) : vector,
    })),
    model: answer.responseModel,
    usage: { prompt_tokens: answer.inputTokens, total_tokens: answer.inputTokens },
  };
}

/** An OpenAI `/v1/completions` response body (`object: "text_completion"`) for one batch line. */
export function toTextCompletionBody(answer: CompletionsLineAnswer, createdAtMs: number) {
  return {
    id: answer.responseId ?? `cmpl-${randomUUID().replace(/-/g, '')}`,
    object: 'text_completion' as const,
    created: Math.floor(createdAtMs / 1000),
    model: answer.responseModel,
    choices: answer.choices.map((choice) => ({
      text: choice.text,
      index: choice.index,
      logprobs: null,
      finish_reason: textFinishReason(choice.finishReason),
    })),
    usage: {
      prompt_tokens: answer.inputTokens,
      completion_tokens: answer.outputTokens,
      total_tokens: answer.inputTokens + answer.outputTokens,
    },
  };
}

/** OpenAI's completions know `stop`, `length` and `content_filter`. */
function textFinishReason(reason: FinishReason): 'stop' | 'length' | 'content_filter' {
  return reason === 'length' || reason === 'content_filter' ? reason : 'stop';
}
