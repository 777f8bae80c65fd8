import type { ModelCatalog } from '../catalog/model-catalog';
import type { RequestedServiceTier, ServiceTier } from '../catalog/service-tier';
import type { ChatRequest } from '../messages/chat-request';
import type { MeasuredTurnaround } from '../provider-batches/batch-turnarounds';
import { maxOutputTokensOf } from '../providers/max-output-tokens';
import { countInputTokens } from '../tokens/count-tokens';
import { chooseServiceTier } from './choose-service-tier';

/** The tiers a batch line runs on in llmq itself; provider batches where the account has one. */
const ownLineTiers: readonly ServiceTier[] = ['standard', 'flex'];

/** What a batch line may take besides llmq's own tiers. */
export interface LineTierOptions {
  /** The provider accounts llmq can send provider batches to. */
  batchProviders?: ReadonlySet<string>;
  /** Provider batch turnarounds llmq has measured; preferred to the catalog's. */
  measuredTurnaround?: MeasuredTurnaround;
}

/**
 * The tier of one chat batch line of a batch that asked for tier choice (`complete_by` or
 * `service_tier`), as the fields its job data carries: none for standard. A line naming
 * `auto` runs standard (its model is only known when it runs). A line may take the batch
 * tier only on an account in `batchProviders`. A pinned tier the line's model does not offer
 * runs standard.
 */
export function chooseLineTier(
  catalog: ModelCatalog,
  line: { model: string; request: Pick<ChatRequest, 'messages' | 'maxTokens' | 'reasoning'> },
  batch: { serviceTier?: RequestedServiceTier; expiresAt: number },
  now: number,
  { batchProviders, measuredTurnaround }: LineTierOptions = {},
): { serviceTier?: ServiceTier; completeBy?: number } {
  if (batch.serviceTier === undefined || batch.serviceTier === 'standard') return {};
  const entry = catalog.resolve(line.model);
  if (!entry) return {};
  const batchable =
    entry.service_tiers.batch !== undefined && (batchProviders?.has(entry.provider) ?? false);
  if (!entry.service_tiers.flex && !batchable) return {};
  const runnable: readonly ServiceTier[] = batchable ? [...ownLineTiers, 'batch'] : ownLineTiers;
  const choice = chooseServiceTier({
    entry,
    usage: {
      inputTokens: countInputTokens(line.request.messages),
      outputTokens: maxOutputTokensOf(entry, line.request, {
        maxTokensDefault: catalog.maxTokensDefaultOf(entry),
      }),
    },
    timeLeftMs: batch.expiresAt - now,
    requested: batch.serviceTier,
    runnable,
    measuredBatchTurnaroundMs: measuredTurnaround?.(entry.provider, entry.upstream_model),
  });
  if (!choice.ok || choice.tier === 'standard') return {};
  return { serviceTier: choice.tier, completeBy: batch.expiresAt };
}
