export {
  type AnthropicProviderOptions,
  createAnthropicProvider,
} from './anthropic/anthropic-provider';
export { type CallOptions, callRequest } from './call-request';
export type {
  CompleteRequest,
  CompleteResult,
  CompletionChoice,
  CompletionModel,
} from './completion-model';
export type { EmbeddingModel, EmbedRequest, EmbedResult } from './embedding-model';
export {
  type AccountParameterRules,
  findAccountUnsupportedParameter,
  findUnsupportedParameter,
} from './find-unsupported-parameter';
export type {
  FinishReason,
  GenerateRequest,
  GenerateResult,
  LanguageModel,
  RateLimitInfo,
  StreamPart,
  Usage,
} from './language-model';
export { type ModelTraits, modelTraitsOf } from './model-traits';
export { createOpenAIProvider, type OpenAIProviderOptions } from './openai/openai-provider';
export {
  createOpenAICompatibleProvider,
  type OpenAICompatibleProviderOptions,
} from './openai-compatible/openai-compatible-provider';
export {
  defaultAnthropicMaxTokens,
  defaultProviderTimeoutMs,
  type Provider,
  type ProviderConfig,
  type ProviderConfigInput,
  type ProviderConfigOf,
  type ProviderKind,
  providerConfigSchema,
  providerKindSchema,
} from './provider';
export {
  codeForStatus,
  isProviderError,
  isRetryableStatus,
  ProviderError,
  type ProviderErrorCode,
  type ProviderErrorOptions,
  parseRetryAfterMs,
  providerErrorCodeSchema,
} from './provider-error';
export { createProviderRegistry, type ProviderRegistry } from './provider-registry';
