import { z } from 'zod';
import {
  DEFAULT_MODEL_PROFILE,
  type ModelProfile,
  type ModelProfilePatch,
  mergeModelProfile,
  modelPatchesSchema,
} from './model-profile';

/** The models the simulator lists and answers for out of the box. */
export const DEFAULT_MODEL_NAMES: readonly string[] = [
  'sim-gpt-fast',
  'sim-gpt-strong',
  'sim-claude-fast',
  'sim-claude-strong',
  'sim-local-llama',
  'sim-embed-small',
  'sim-gpt-reasoning',
  'sim-claude-thinking',
  'sim-gemini-flash',
  'sim-gemini-thinking',
];

/** The default models that differ from the default profile (see docs/simulator.md). */
const DEFAULT_MODEL_PATCHES: Readonly<Record<string, ModelProfilePatch>> = {
  'sim-gpt-reasoning': { capabilities: { reasoning: true } },
  'sim-claude-thinking': { capabilities: { reasoning: true } },
  'sim-gemini-thinking': { capabilities: { reasoning: true } },
  'sim-local-llama': { capabilities: { vision: false, documents: false } },
};

/**
 * The live profile of every model. Any `sim-` name resolves (to the default profile when
 * nobody configured it); `reset` returns to the profiles the simulator started with.
 */
export class ModelProfiles {
  readonly #initial: ReadonlyMap<string, ModelProfile>;
  #current: Map<string, ModelProfile>;

  /** @param patches merged over the default profile of each named model; validated. */
  constructor(patches: Record<string, ModelProfilePatch> = {}) {
    const initial = new Map<string, ModelProfile>(
      DEFAULT_MODEL_NAMES.map((name) => [name, DEFAULT_MODEL_PROFILE]),
    );
    this.#current = initial;
    this.configure(DEFAULT_MODEL_PATCHES);
    this.configure(patches);
    this.#initial = new Map(this.#current);
  }

  /** The profile of `model`: its configured one, else the default. */
  resolve(model: string): ModelProfile {
    return this.#current.get(model) ?? DEFAULT_MODEL_PROFILE;
  }

  /**
   * Deep-merges `patches` into the named models' current profiles (adding models not seen yet).
   * @throws Error naming the bad field when a patch is invalid; nothing changes then.
   */
  configure(patches: Record<string, ModelProfilePatch>): void {
    const parsed = modelPatchesSchema.safeParse(patches);
    if (!parsed.success) {
      throw new Error(`Invalid simulator model profiles: ${z.prettifyError(parsed.error)}`);
    }
    const next = new Map(this.#current);
    for (const [name, patch] of Object.entries(parsed.data)) {
      next.set(name, mergeModelProfile(this.resolve(name), patch));
    }
    this.#current = next;
  }

  /** Back to the profiles given at construction. */
  reset(): void {
    this.#current = new Map(this.#initial);
  }

  /** Names of the listed models (defaults plus configured ones), sorted. */
  names(): string[] {
    return [...this.#current.keys()].sort();
  }

  /** A copy of every listed model's profile. */
  snapshot(): Record<string, ModelProfile> {
    return Object.fromEntries(
      [...this.#current].map(([name, profile]) => [name, structuredClone(profile)]),
    );
  }
}
