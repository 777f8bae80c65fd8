import { CountersStore } from '../counters/counters-store';
import type { SimulatorCounters } from '../counters/simulator-counters';
import { CallSlots } from '../limits/call-slots';
import { SlidingWindowLimiter } from '../limits/sliding-window-limiter';
import {
  DEFAULT_MODEL_PROFILE,
  type ModelProfile,
  type ModelProfilePatch,
} from '../profiles/model-profile';
import { ModelProfiles } from '../profiles/model-profiles';
import { PromptCache } from '../prompt-cache/prompt-cache';
import type { AnthropicBatch } from '../provider-batches/anthropic-batch';
import {
  type BatchSettings,
  type BatchSettingsPatch,
  batchSettingsPatchSchema,
  DEFAULT_BATCH_SETTINGS,
  mergeBatchSettings,
} from '../provider-batches/batch-settings';
import type { OpenAiBatch } from '../provider-batches/openai-batch';
import { SimulatorFiles } from '../provider-batches/simulator-files';
import type { SimulatorClock } from './simulator-clock';

/** Everything a running simulator remembers. */
export interface SimulatorState {
  profiles: ModelProfiles;
  counters: CountersStore;
  limiter: SlidingWindowLimiter;
  /** Calls each model is serving, for `maxConcurrentCalls`. */
  callSlots: CallSlots;
  /** Prompt prefixes cached by earlier answers. */
  promptCache: PromptCache;
  /** The time every call is stamped with (rate windows, cache expiry, batch progress). */
  clock: SimulatorClock;
  /** Files of OpenAI's Files API (batch input, output and error files). */
  files: SimulatorFiles;
  /** OpenAI Batch API batches, by id. */
  openAiBatches: Map<string, OpenAiBatch>;
  /** Anthropic Message Batches, by id. */
  anthropicBatches: Map<string, AnthropicBatch>;
  /** How batches run (turnaround, failures, expiry); applies to batches created after a change. */
  batchSettings: BatchSettings;
}

/** A change to the simulator's configuration (`configure()`, `PUT /_sim/config`). */
export interface SimulatorConfigPatch {
  /** Per-model profile patches, deep-merged into the current profiles. */
  models?: Record<string, ModelProfilePatch>;
  /** Changes to how provider batches run. */
  batches?: BatchSettingsPatch;
}

/** The simulator's configuration as `GET /_sim/config` shows it. */
export interface SimulatorConfigSnapshot {
  /** The profile of any `sim-` model not listed in `models`. */
  defaultProfile: ModelProfile;
  models: Record<string, ModelProfile>;
  batches: BatchSettings;
}

export function createSimulatorState(
  models: Record<string, ModelProfilePatch> = {},
  clock: SimulatorClock = Date.now,
): SimulatorState {
  return {
    clock,
    profiles: new ModelProfiles(models),
    counters: new CountersStore(),
    limiter: new SlidingWindowLimiter(),
    callSlots: new CallSlots(),
    promptCache: new PromptCache(clock),
    files: new SimulatorFiles(),
    openAiBatches: new Map(),
    anthropicBatches: new Map(),
    batchSettings: { ...DEFAULT_BATCH_SETTINGS },
  };
}

/** Zeroes counters, the request log and rate-limit windows; restores the starting profiles. */
export function resetSimulator(state: SimulatorState): void {
  state.counters.reset();
  state.limiter.reset();
  state.profiles.reset();
  state.promptCache.clear();
  state.files.clear();
  state.openAiBatches.clear();
  state.anthropicBatches.clear();
  state.batchSettings = { ...DEFAULT_BATCH_SETTINGS };
}

/** Applies a configuration patch; throws (changing nothing) when it is invalid. */
export function configureSimulator(state: SimulatorState, patch: SimulatorConfigPatch): void {
  const batches = batchSettingsPatchSchema.parse(patch.batches ?? {});
  state.profiles.configure(patch.models ?? {});
  state.batchSettings = mergeBatchSettings(state.batchSettings, batches);
}

export function simulatorConfig(state: SimulatorState): SimulatorConfigSnapshot {
  return {
    defaultProfile: structuredClone(DEFAULT_MODEL_PROFILE),
    models: state.profiles.snapshot(),
    batches: { ...state.batchSettings },
  };
}

export function simulatorCounters(state: SimulatorState): SimulatorCounters {
  return state.counters.snapshot();
}
