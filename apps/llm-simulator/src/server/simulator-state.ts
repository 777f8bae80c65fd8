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
  /** The time every call is stamped with (rate windows, cache expiry). */
  clock: SimulatorClock;
}

/** A change to the simulator's configuration (`configure()`, `PUT /_sim/config`). */
export interface SimulatorConfigPatch {
  /** Per-model profile patches, deep-merged into the current profiles. */
  models?: Record<string, ModelProfilePatch>;
}

/** The simulator's configuration as `GET /_sim/config` shows it. */
export interface SimulatorConfigSnapshot {
  /** The profile of any `sim-` model not listed in `models`. */
  defaultProfile: ModelProfile;
  models: Record<string, ModelProfile>;
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
  };
}

/** Zeroes counters, the request log and rate-limit windows; restores the starting profiles. */
export function resetSimulator(state: SimulatorState): void {
  state.counters.reset();
  state.limiter.reset();
  state.profiles.reset();
  state.promptCache.clear();
}

/** Applies a configuration patch; throws (changing nothing) when it is invalid. */
export function configureSimulator(state: SimulatorState, patch: SimulatorConfigPatch): void {
  state.profiles.configure(patch.models ?? {});
}

export function simulatorConfig(state: SimulatorState): SimulatorConfigSnapshot {
  return {
    defaultProfile: structuredClone(DEFAULT_MODEL_PROFILE),
    models: state.profiles.snapshot(),
  };
}

export function simulatorCounters(state: SimulatorState): SimulatorCounters {
  return state.counters.snapshot();
}
