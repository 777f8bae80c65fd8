export type {
  RecordedRequest,
  SimulatorCounters,
  TracingHeaders,
} from './counters/simulator-counters';
export { embedText } from './embeddings/embed-text';
export { type FaultKind, faultKindSchema } from './faults/fault-kind';
export {
  DEFAULT_MODEL_CAPABILITIES,
  DEFAULT_MODEL_PROFILE,
  type FaultProfile,
  type FaultProfilePatch,
  type ModelCapabilities,
  type ModelProfile,
  type ModelProfilePatch,
} from './profiles/model-profile';
export { DEFAULT_MODEL_NAMES } from './profiles/model-profiles';
export { MINIMUM_CACHED_TOKENS } from './prompt-cache/prompt-cache';
export { REDACTED_THINKING_TRIGGER } from './reasoning/generate-thinking';
export { REASONING_TOKENS, type ReasoningEffort } from './reasoning/openai-reasoning-tokens';
export { signThinking, verifyThinking } from './reasoning/thinking-signature';
export {
  createSimulatorServer,
  type SimulatorServer,
  type SimulatorServerOptions,
} from './server/create-simulator-server';
export type { SimulatorConfigPatch, SimulatorConfigSnapshot } from './server/simulator-state';
export { type RunningSimulator, type SimulatorOptions, startSimulator } from './start-simulator';
