import type { EmbedResult } from '../embedding-model';
import { ProviderError } from '../provider-error';

/** The fields of an OpenAI `/v1/embeddings` answer that llmq reads. */
export interface OpenAIEmbeddingsFields {
  data?: ReadonlyArray<{ index?: number; embedding?: unknown }>;
  model?: string;
  usage?: { prompt_tokens?: number; total_tokens?: number };
}

/**
 * Puts the vectors of an embeddings answer back in input order (servers may answer out of
 * order; `index` is the truth) and checks there is exactly one float vector per input.
 */
export function convertOpenAIEmbeddings(
  answer: OpenAIEmbeddingsFields,
  context: { provider: string; modelId: string; inputCount: number },
): EmbedResult {
  const embeddings: number[][] = new Array(context.inputCount);
  for (const [position, item] of (answer.data ?? []).entries()) {
    const index = item.index ?? position;
    if (!Array.isArray(item.embedding) || index < 0 || index >= context.inputCount) {
      throw malformed(context.provider, `an embedding at position ${position} is not usable`);
    }
    embeddings[index] = item.embedding as number[];
  }
  for (let index = 0; index < context.inputCount; index += 1) {
    if (embeddings[index] === undefined) {
      throw malformed(context.provider, `no embedding came back for input ${index}`);
    }
  }
  return {
    embeddings,
    usage: { inputTokens: answer.usage?.prompt_tokens ?? answer.usage?.total_tokens ?? 0 },
    responseModel: answer.model ?? context.modelId,
  };
}

function malformed(provider: string, detail: string): ProviderError {
  return new ProviderError({
    code: 'malformed_response',
    message: `${provider}: ${detail}`,
    provider,
  });
}
