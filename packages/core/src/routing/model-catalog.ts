import { z } from 'zod';

/** One model llmq can route to. The full catalog (tiers, prices, fallbacks) grows with routing. */
export const modelEntrySchema = z.object({
  /** The id clients use. */
  id: z.string().min(1),
  aliases: z.array(z.string().min(1)).default([]),
  /** Provider account id (a key of the provider registry). */
  provider: z.string().min(1),
  /** The provider's name for the model. */
  upstreamModel: z.string().min(1),
});
export type ModelEntry = z.infer<typeof modelEntrySchema>;

/** Resolves model ids and aliases to catalog entries. */
export class ModelCatalog {
  private readonly byName = new Map<string, ModelEntry>();

  constructor(entries: ModelEntry[]) {
    for (const entry of entries) {
      for (const name of [entry.id, ...entry.aliases]) {
        if (this.byName.has(name)) throw new Error(`model catalog: "${name}" is defined twice`);
        this.byName.set(name, entry);
      }
    }
  }

  resolve(name: string): ModelEntry | undefined {
    return this.byName.get(name);
  }

  list(): ModelEntry[] {
    return [...new Set(this.byName.values())];
  }
}
