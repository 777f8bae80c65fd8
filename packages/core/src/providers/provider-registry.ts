import { createAnthropicProvider } from './anthropic/anthropic-provider';
import { createAzureOpenAIProvider } from './azure-openai/azure-openai-provider';
import type { CompletionModel } from './completion-model';
import type { EmbeddingModel } from './embedding-model';
import { createGeminiProvider } from './gemini/gemini-provider';
import type { LanguageModel } from './language-model';
import type { ModelTraits } from './model-traits';
import { createOpenAIProvider } from './openai/openai-provider';
import { createOpenAICompatibleProvider } from './openai-compatible/openai-compatible-provider';
import {
  type Provider,
  type ProviderConfigInput,
  type ProviderConfigOf,
  type ProviderKind,
  providerConfigSchema,
} from './provider';

type ProviderFactories = { [Kind in ProviderKind]: (config: ProviderConfigOf<Kind>) => Provider };

/** The one place a provider kind meets its adapter. Add a kind here and in `providerKindSchema`. */
const providerFactories = {
  openai: createOpenAIProvider,
  anthropic: createAnthropicProvider,
  'openai-compatible': createOpenAICompatibleProvider,
  'azure-openai': createAzureOpenAIProvider,
  gemini: createGeminiProvider,
} satisfies ProviderFactories;

/** The configured provider accounts, by id. */
export interface ProviderRegistry {
  /** The provider with this id, or undefined when none is configured. */
  get(providerId: string): Provider | undefined;
  has(providerId: string): boolean;
  /** Ids of all configured providers, in config order. */
  ids(): string[];
  /**
   * `get(providerId).languageModel(modelId, traits)`; throws, naming the configured ids, for an
   * unknown provider.
   */
  languageModel(providerId: string, modelId: string, traits?: ModelTraits): LanguageModel;
  /**
   * `get(providerId).completionModel(modelId)`; throws for an unknown provider or one without
   * a completions API.
   */
  completionModel(providerId: string, modelId: string): CompletionModel;
  /**
   * `get(providerId).embeddingModel(modelId)`; throws for an unknown provider or one whose kind
   * has no embeddings (Anthropic).
   */
  embeddingModel(providerId: string, modelId: string): EmbeddingModel;
  /** Closes every provider's kept-alive connections. */
  close(): Promise<void>;
}

/** Indexing the mapped type by the same `Kind` lets TypeScript match factory and config. */
function createProvider<Kind extends ProviderKind>(
  kind: Kind,
  config: ProviderConfigOf<Kind>,
): Provider {
  const factories: ProviderFactories = providerFactories;
  return factories[kind](config);
}

/**
 * Builds one provider per config. Configs are parsed (defaults applied, values checked), so
 * raw and already-parsed configs both work; ids must be unique.
 */
export function createProviderRegistry(configs: readonly ProviderConfigInput[]): ProviderRegistry {
  const providers = new Map<string, Provider>();
  for (const input of configs) {
    const config = providerConfigSchema.parse(input);
    if (providers.has(config.id)) {
      throw new Error(`Provider id "${config.id}" is configured twice`);
    }
    providers.set(config.id, createProvider(config.kind, config));
  }

  const providerOrThrow = (providerId: string): Provider => {
    const provider = providers.get(providerId);
    if (provider === undefined) {
      const known = [...providers.keys()].join(', ') || 'none';
      throw new Error(`No provider "${providerId}" is configured (configured: ${known})`);
    }
    return provider;
  };

  return {
    get: (providerId) => providers.get(providerId),
    has: (providerId) => providers.has(providerId),
    ids: () => [...providers.keys()],
    languageModel: (providerId, modelId, traits) =>
      providerOrThrow(providerId).languageModel(modelId, traits),
    completionModel: (providerId, modelId) => {
      const provider = providerOrThrow(providerId);
      if (!provider.completionModel)
        throw new Error(`Provider "${providerId}" (${provider.kind}) has no completions API`);
      return provider.completionModel(modelId);
    },
    embeddingModel: (providerId, modelId) => {
      const provider = providerOrThrow(providerId);
      if (provider.embeddingModel === undefined) {
        throw new Error(`Provider "${providerId}" (${provider.kind}) has no embedding models`);
      }
      return provider.embeddingModel(modelId);
    },
    close: async () => {
      await Promise.all([...providers.values()].map((provider) => provider.close?.()));
    },
  };
}
