import type { ModelCatalog } from '../catalog/model-catalog';
import { defaultEstimatedOutputTokens } from '../catalog/model-pricing';
import type { RequestedServiceTier, ServiceTier } from '../catalog/service-tier';
import type { ChatRequest } from '../messages/chat-request';
import { countInputTokens } from '../tokens/count-tokens';
import { chooseServiceTier } from './choose-service-tier';

/** The tiers a batch line runs on in llmq itself; provider batches where the account has one. */
const ownLineTiers: readonly ServiceTier[] = ['standard', 'flex'];

/**
 * The tier of one chat batch line of a batch that asked for tier choice (`complete_by` or
 * `service_tier`), as the fields its job data carries: none for standard. A line naming
 * `auto` runs standard (its model is only known when it runs). `batchProviders`: the provider
 * accounts llmq can send provider batches to; a line may take the batch tier only on those. A
 * pinned tier the line's model does not offer runs standard.
 */
export function chooseLineTier(
  catalog: ModelCatalog,
  line: { model: string; request: Pick<ChatRequest, 'messages' | 'maxTokens'> },
  batch: { serviceTier?: RequestedServiceTier; expiresAt: number },
  now: number,
  batchProviders: ReadonlySet<string> = new Set(),
): { serviceTier?: ServiceTier; completeBy?: number } {
  if (batch.serviceTier === undefined || batch.serviceTier === 'standard') return {};
  const entry = catalog.resolve(line.model);
  if (!entry) return {};
  const batchable = entry.service_tiers.batch !== undefined && batchProviders.has(entry.provider);
  if (!entry.service_tiers.flex && !batchable) return {};
  const runnable: readonly ServiceTier[] = batchable ? [...ownLineTiers, 'batch'] : ownLineTiers;
  const choice = chooseServiceTier({
    entry,
    usage: {
      inputTokens: countInputTokens(line.request.messages),
      outputTokens: Math.min(
        line.request.maxTokens ?? defaultEstimatedOutputTokens,
        entry.max_output_tokens,
      ),
    },
    timeLeftMs: batch.expiresAt - now,
    requested: batch.serviceTier,
    runnable,
  });
  if (!choice.ok || choice.tier === 'standard') return {};
  return { serviceTier: choice.tier, completeBy: batch.expiresAt };
}
