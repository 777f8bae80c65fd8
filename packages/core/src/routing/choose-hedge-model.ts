import type { ModelCatalog, ModelEntry } from '../catalog/model-catalog';
import { missingCapabilities } from './model-capabilities';
import type { RoutingDecision } from './route-request';

export type HedgeChoice = { ok: true; entry: ModelEntry } | { ok: false; message: string };

/**
 * The second model of a hedge. A named one is used when usable. Otherwise a race
 * (`afterMs` 0) pairs a strong model with the quickest fast-tier model and anything else with
 * the cheapest strong one (the seed's "fast and slow model together"); a delayed hedge uses
 * the next model of the chain, or the same model again (a classic tail-latency hedge).
 * Only models with every capability the request needs (`decision.capabilities`) qualify.
 */
export function chooseHedgeModel(
  catalog: ModelCatalog,
  decision: Pick<RoutingDecision, 'model' | 'tier' | 'chain' | 'capabilities'>,
  hedge: { model?: string; afterMs: number },
): HedgeChoice {
  if (hedge.model !== undefined) {
    const entry = catalog.resolve(hedge.model);
    if (!entry) return { ok: false, message: `hedge model "${hedge.model}" is not in the catalog` };
    if (!catalog.isAvailable(entry))
      return {
        ok: false,
        message: `hedge model "${entry.id}" is not available (no provider key or disabled)`,
      };
    const missing = missingCapabilities(entry, decision.capabilities ?? []);
    if (missing.length > 0)
      return { ok: false, message: `hedge model "${entry.id}" lacks ${missing.join(', ')}` };
    return { ok: true, entry };
  }
  const primary = catalog.resolve(decision.model);
  const others = catalog
    .available()
    .filter(
      (entry) =>
        entry.id !== decision.model &&
        missingCapabilities(entry, decision.capabilities ?? []).length === 0,
    );
  if (hedge.afterMs > 0) {
    const next = decision.chain[1] ? catalog.resolve(decision.chain[1]) : primary;
    if (next) return { ok: true, entry: next };
  }
  const pick =
    decision.tier === 'strong'
      ? others
          .filter((entry) => entry.tier === 'fast')
          .sort((a, b) => a.expected_latency_ms - b.expected_latency_ms)[0]
      : others
          .filter((entry) => entry.tier === 'strong')
          .sort((a, b) => a.pricing.output - b.pricing.output)[0];
  const entry = pick ?? others[0] ?? primary;
  if (!entry) return { ok: false, message: 'no model is available to hedge with' };
  return { ok: true, entry };
}
