import type { ModelEntry } from '../catalog/model-catalog';

/** A line waiting for a provider batch: its id and the catalog model it runs on. */
export interface WaitingLine {
  customId: string;
  entry: Pick<ModelEntry, 'id' | 'provider' | 'upstream_model' | 'service_tiers'>;
}

/** One provider batch to submit: one provider account, one upstream model. */
export interface PlannedProviderBatch {
  provider: string;
  upstreamModel: string;
  customIds: string[];
}

/**
 * Groups waiting lines by provider account and upstream model (a provider batch names one
 * model) and cuts each group into batches of at most the model's `service_tiers.batch.max_lines`.
 * Lines of models without a batch tier are left out: they run on llmq's own tiers. Linear in
 * the number of lines; the order of lines is kept inside each batch.
 */
export function planProviderBatches(lines: Iterable<WaitingLine>): PlannedProviderBatch[] {
  const groups = new Map<string, { maxLines: number; batches: PlannedProviderBatch[] }>();
  for (const { customId, entry } of lines) {
    const tier = entry.service_tiers.batch;
    if (!tier) continue;
    const key = `${entry.provider}\u0000${entry.upstream_model}`;
    let group = groups.get(key);
    if (!group) {
      group = { maxLines: tier.max_lines, batches: [] };
      groups.set(key, group);
    }
    let current = group.batches.at(-1);
    if (!current || current.customIds.length >= group.maxLines) {
      current = { provider: entry.provider, upstreamModel: entry.upstream_model, customIds: [] };
      group.batches.push(current);
    }
    current.customIds.push(customId);
  }
  return [...groups.values()].flatMap((group) => group.batches);
}
