import type { ModelCatalog, ModelEntry } from '../catalog/model-catalog';
import { missingCapabilities, type RequestCapability } from './model-capabilities';

/** The two models of a speculative job, as catalog ids. */
export interface SpeculativeModels {
  fast_model: string;
  upgrade_model: string;
}

/** The models a request names (ids or aliases), either or both left to the catalog's tiers. */
export type RequestedSpeculativeModels = Partial<SpeculativeModels>;

export type SpeculativeChoice =
  | { ok: true; models: SpeculativeModels }
  | { ok: false; message: string };

/**
 * The models of speculative execution. Named ones are used when usable; otherwise the
 * initial answer comes from the quickest available fast-tier model and the final one from the
 * cheapest available strong-tier model (the seed's "fast model first, strong model after").
 * Both need every capability the request needs; they must differ.
 */
export function chooseSpeculativeModels(
  catalog: ModelCatalog,
  requested: RequestedSpeculativeModels,
  capabilities: readonly RequestCapability[] = [],
): SpeculativeChoice {
  const usable = catalog
    .available()
    .filter((entry) => missingCapabilities(entry, capabilities).length === 0);
  const fast = pick(
    catalog,
    'fast_model',
    requested.fast_model,
    capabilities,
    () =>
      usable
        .filter((entry) => entry.tier === 'fast')
        .sort((a, b) => a.expected_latency_ms - b.expected_latency_ms)[0],
  );
  if (!fast.ok) return fast;
  const upgrade = pick(
    catalog,
    'upgrade_model',
    requested.upgrade_model,
    capabilities,
    () =>
      usable
        .filter((entry) => entry.tier === 'strong')
        .sort((a, b) => a.pricing.output - b.pricing.output)[0],
  );
  if (!upgrade.ok) return upgrade;
  if (fast.entry.id === upgrade.entry.id)
    return {
      ok: false,
      message: `speculative.fast_model and speculative.upgrade_model are both "${fast.entry.id}": give two different models`,
    };
  return { ok: true, models: { fast_model: fast.entry.id, upgrade_model: upgrade.entry.id } };
}

function pick(
  catalog: ModelCatalog,
  field: keyof SpeculativeModels,
  named: string | undefined,
  capabilities: readonly RequestCapability[],
  byDefault: () => ModelEntry | undefined,
): { ok: true; entry: ModelEntry } | { ok: false; message: string } {
  if (named === undefined) {
    const entry = byDefault();
    if (entry) return { ok: true, entry };
    const tier = field === 'fast_model' ? 'fast' : 'strong';
    return { ok: false, message: `no ${tier}-tier model is available for speculative.${field}` };
  }
  const entry = catalog.resolve(named);
  if (!entry)
    return { ok: false, message: `speculative.${field} "${named}" is not in the catalog` };
  if (!catalog.isAvailable(entry))
    return {
      ok: false,
      message: `speculative.${field} "${entry.id}" is not available (no provider key or disabled)`,
    };
  const missing = missingCapabilities(entry, capabilities);
  if (missing.length > 0)
    return { ok: false, message: `speculative.${field} "${entry.id}" lacks ${missing.join(', ')}` };
  return { ok: true, entry };
}
