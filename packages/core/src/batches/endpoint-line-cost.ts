import { TokenTally } from '@llmq/tokenizer';
import type { ModelCatalog } from '../catalog/model-catalog';
import { costOfUsage } from '../catalog/model-pricing';
import { type NanoUsd, toNanoUsd } from '../cost/money';
import { maxOutputTokensOf } from '../providers/max-output-tokens';
import type { CompletionsLineRequest } from './completions-line-request';
import type { EmbeddingsLineRequest } from './embeddings-line-request';

/** The payload of an embeddings or completions line, as parsed and as queued. */
export type EndpointLinePayload =
  | { embedding: EmbeddingsLineRequest }
  | { completion: CompletionsLineRequest };

/**
 * The most an embeddings or completions line may cost on `model` (what a budget reserves for
 * it and releases when it ends; the chat lines' counterpart is `lineCostNanoUsd`): its input
 * tokens (o200k) at the input price, plus, for completions, the output a call may bill per
 * prompt (`maxOutputTokensOf`, as every chat estimate: `max_tokens` or 1024, capped at the
 * model's maximum). Ingest and the worker compute the same value
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
        maxOutputTokensOf(
          entry,
          { maxTokens: payload.completion.maxTokens },
          {
            maxTokensDefault: catalog.maxTokensDefaultOf(entry),
          },
        )
      : 0;
  return toNanoUsd(costOfUsage(entry, { inputTokens, outputTokens }));
}
