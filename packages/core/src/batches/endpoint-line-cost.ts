import { TokenTally } from '@llmq/tokenizer';
import type { ModelCatalog } from '../catalog/model-catalog';
import { costOfUsage, defaultEstimatedOutputTokens } from '../catalog/model-pricing';
import { type NanoUsd, toNanoUsd } from '../cost/money';
import type { CompletionsLineRequest } from './completions-line-request';
import type { EmbeddingsLineRequest } from './embeddings-line-request';

/** The payload of an embeddings or completions line, as parsed and as queued. */
export type EndpointLinePayload =
  | { embedding: EmbeddingsLineRequest }
  | { completion: CompletionsLineRequest };

/**
 * The most an embeddings or completions line may cost on `model` (what a budget reserves for
 * it and releases when it ends; the chat lines' counterpart is `lineCostNanoUsd`): its input
 * tokens (o200k) at the input price, plus, for completions, `max_tokens` (or 1024, capped at
 * the model's maximum) output tokens per prompt. Ingest and the worker compute the same value
 * from the same line, so the reservation is released exactly.
 */
export function endpointLineCostNanoUsd(
  catalog: ModelCatalog,
  model: string,
  payload: EndpointLinePayload,
): NanoUsd {
  const entry = catalog.resolve(model);
  if (!entry) return 0;
  const texts = 'embedding' in payload ? payload.embedding.inputs : payload.completion.prompts;
  const tally = new TokenTally();
  const inputTokens = texts.reduce((sum, text) => sum + tally.count(text), 0);
  const outputTokens =
    'completion' in payload
      ? texts.length *
        Math.min(
          payload.completion.maxTokens ?? defaultEstimatedOutputTokens,
          entry.max_output_tokens,
        )
      : 0;
  return toNanoUsd(costOfUsage(entry, { inputTokens, outputTokens }));
}
