import type { ModelCatalog } from '../catalog/model-catalog';
import { defaultEstimatedOutputTokens } from '../catalog/model-pricing';
import type { RequestedServiceTier, ServiceTier } from '../catalog/service-tier';
import type { ChatRequest } from '../messages/chat-request';
import { countInputTokens } from '../tokens/count-tokens';
import { chooseServiceTier } from './choose-service-tier';

/** The tiers a batch line can run on today (provider batches are not wired into the queue). */
const lineRunnableTiers: readonly ServiceTier[] = ['standard', 'flex'];

/**
 * The tier of one chat batch line of a batch that asked for tier choice (`complete_by` or
 * `service_tier`), as the fields its job data carries: none for standard. A line naming
 * `auto` runs standard (its model is only known when it runs).
 */
export function chooseLineTier(
  catalog: ModelCatalog,
  line: { model: string; request: Pick<ChatRequest, 'messages' | 'maxTokens'> },
  batch: { serviceTier?: RequestedServiceTier; expiresAt: number },
  now: number,
): { serviceTier?: ServiceTier; completeBy?: number } {
  if (batch.serviceTier === undefined || batch.serviceTier === 'standard') return {};
  const entry = catalog.resolve(line.model);
  if (!entry?.service_tiers.flex) return {};
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
    runnable: lineRunnableTiers,
  });
  if (!choice.ok || choice.tier === 'standard') return {};
  return { serviceTier: choice.tier, completeBy: batch.expiresAt };
}
