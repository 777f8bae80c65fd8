import { z } from 'zod';
import {
  deploymentAccountId,
  deploymentStrategySchema,
  deploymentsOf,
  modelDeploymentSchema,
} from './model-deployments';
import { type RateLimits, type RateLimitsInput, rateLimitsSchema } from './rate-limits';

/** What `model: "auto"` chooses between, from cheapest and quickest to most capable. */
export const modelTierSchema = z.enum(['fast', 'balanced', 'strong']);
export type ModelTier = z.infer<typeof modelTierSchema>;

/** Every provider account id a catalog entry may name (see `defaultProviderAccounts`). */
export const catalogProviderIdSchema = z.enum([
  'simulator-openai',
  'simulator-anthropic',
  'simulator-azure',
  'simulator-gemini',
  'local',
  'openai',
  'anthropic',
  'azure-openai',
  'gemini',
  'groq',
  'mistral',
  'deepseek',
  'together',
]);

const usdPerMillion = z.number().min(0).max(10_000);

/** USD per million tokens of one way of calling a model (see `pricing`). */
const tierPricingSchema = z
  .object({
    input: usdPerMillion,
    output: usdPerMillion,
    cached_input: usdPerMillion,
    cache_write: usdPerMillion.optional(),
    cache_write_1h: usdPerMillion.optional(),
    reasoning: usdPerMillion.optional(),
  })
  .strict();

/**
 * The cheaper ways a provider offers to run a model, besides the standard call. `flex`:
 * OpenAI's `service_tier: "flex"` (slower, may be refused with 429). `batch`: the provider's
 * batch API (OpenAI Batch, Anthropic Message Batches), answered within hours.
 */
export const modelServiceTiersSchema = z
  .object({
    flex: z
      .object({
        pricing: tierPricingSchema,
        /** Typical time to a complete short answer on flex, ms. */
        expected_latency_ms: z.number().int().positive(),
      })
      .strict()
      .optional(),
    batch: z
      .object({
        pricing: tierPricingSchema,
        /**
         * Typical time from submitting a provider batch to its results, ms; what llmq has
         * measured of the provider takes over once it has measured some.
         */
        expected_turnaround_ms: z.number().int().positive(),
        /** Most lines llmq puts in one provider batch (the provider's limit). Default 50,000. */
        max_lines: z.number().int().min(1).max(100_000).default(50_000),
      })
      .strict()
      .optional(),
  })
  .strict();
export type ModelServiceTiers = z.infer<typeof modelServiceTiersSchema>;

/**
 * The APIs a catalog model serves: `chat` (chat completions; every job, sync request and chat
 * batch line), `completions` (legacy text completions, prompt arrays) and `embeddings`.
 */
export const catalogEndpointSchema = z.enum(['chat', 'completions', 'embeddings']);
export type CatalogEndpoint = z.infer<typeof catalogEndpointSchema>;

/**
 * Micro-batching of a model's `completions` and `embeddings` calls: each worker process
 * gathers up to `max_items` requests (or `max_wait_ms` after the first) and sends them as one
 * call with a prompt or input array. Chat calls are never batched.
 */
export const modelBatchingSchema = z
  .object({
    /** Most requests (batch lines) in one call; 1 turns batching off. Default 16. */
    max_items: z.number().int().min(1).max(2048).default(16),
    /** Longest the first request waits for others, ms. Default 10. */
    max_wait_ms: z.number().int().min(0).max(10_000).default(10),
  })
  .strict();
export type ModelBatching = z.infer<typeof modelBatchingSchema>;

/**
 * One model llmq can route to, as written in the catalog file (`config/models.yaml` documents
 * every field). Field names are snake_case because the file is written by operators.
 */
export const modelEntrySchema = z
  .object({
    /** The id clients use. */
    id: z
      .string()
      .min(1)
      .max(200)
      .refine((id) => id !== 'auto', '"auto" is reserved for automatic routing'),
    aliases: z.array(z.string().min(1).max(200)).default([]),
    /** Provider account id (a key of the provider registry). */
    provider: catalogProviderIdSchema,
    /** The provider's name for the model. */
    upstream_model: z.string().min(1),
    tier: modelTierSchema,
    /** Input plus output tokens the model accepts. */
    context_window: z.number().int().positive(),
    /** The most tokens one answer may have. */
    max_output_tokens: z.number().int().positive(),
    /**
     * USD per million tokens of a standard call: input, output, cached_input, optional
     * cache_write (prompt-cache writes; Anthropic bills 1.25× input for 5 minutes; default
     * input), cache_write_1h (writes with the 1-hour lifetime; Anthropic bills 2× input; default
     * cache_write) and reasoning (reasoning output tokens; default output).
     */
    pricing: tierPricingSchema,
    /** Cheaper tiers the provider offers for this model (flex, provider batch); absent: none. */
    service_tiers: modelServiceTiersSchema.default({}),
    capabilities: z
      .object({
        streaming: z.boolean().default(false),
        /** `response_format: json_object`. */
        json_mode: z.boolean().default(false),
        /** Several inputs per provider call (micro-batching). */
        batching: z.boolean().default(false),
        /** Tool definitions, tool calls and tool results. */
        tools: z.boolean().default(false),
        /** Image input. */
        vision: z.boolean().default(false),
        /** `response_format: json_schema` (structured outputs). */
        json_schema: z.boolean().default(false),
        /** Reasoning options (effort, thinking budget) and reasoning parts. */
        reasoning: z.boolean().default(false),
        /**
         * Claude: takes adaptive thinking (`thinking: {type: "adaptive"}`, Claude Opus and Sonnet
         * 4.6 on). A thinking model without it (Claude 4.5 and before) gets a request's adaptive
         * thinking as a thinking budget (`type: "enabled"`). Other providers' models ignore it.
         */
        adaptive_thinking: z.boolean().default(false),
        /**
         * Takes the switch for parallel tool calls (OpenAI `parallel_tool_calls`, Anthropic
         * `disable_parallel_tool_use`). Default true; false for OpenAI's o-series reasoning
         * models, which refuse `parallel_tool_calls`: a request's preference for one call per
         * turn (legacy functions) is then not sent, and the answer keeps the first call.
         */
        parallel_tool_calls: z.boolean().default(true),
        /** PDF document input. */
        documents: z.boolean().default(false),
      })
      .strict()
      .default({
        streaming: false,
        json_mode: false,
        batching: false,
        tools: false,
        vision: false,
        json_schema: false,
        reasoning: false,
        adaptive_thinking: false,
        parallel_tool_calls: true,
        documents: false,
      }),
    /** The APIs this model serves. Default `[chat]`. */
    endpoints: z
      .array(catalogEndpointSchema)
      .min(1)
      .refine((endpoints) => new Set(endpoints).size === endpoints.length, 'duplicate endpoint')
      .default(['chat']),
    /** Micro-batching of completions and embeddings calls; absent: one call per request. */
    batching: modelBatchingSchema.optional(),
    /** Typical time to a complete short answer, ms. */
    expected_latency_ms: z.number().int().positive(),
    /** Model ids tried in order after this one fails (retryable) or its circuit is open. */
    fallbacks: z.array(z.string().min(1)).default([]),
    /** The provider's RPM/TPM limits for this model, shared by every worker; absent: none. */
    rate_limits: rateLimitsSchema.optional(),
    /** false keeps the entry documented but out of service. Default true. */
    enabled: z.boolean().default(true),
    /**
     * Where the model is served (see `model-deployments.ts`); absent: one implicit deployment
     * of `provider`, `upstream_model` and `rate_limits`.
     */
    deployments: z.array(modelDeploymentSchema).min(1).max(64).optional(),
    /** How a call picks among `deployments`. Default `weighted`. */
    deployment_strategy: deploymentStrategySchema.optional(),
  })
  .strict()
  .superRefine((entry, context) => {
    const seen = new Set<string>();
    entry.deployments?.forEach((deployment, index) => {
      if (seen.has(deployment.id)) {
        context.addIssue({
          code: 'custom',
          path: ['deployments', index, 'id'],
          message: `deployment "${deployment.id}" is listed twice`,
        });
      }
      seen.add(deployment.id);
      if (
        deployment.provider !== undefined &&
        !catalogProviderIdSchema.safeParse(deployment.provider).success
      ) {
        context.addIssue({
          code: 'custom',
          path: ['deployments', index, 'provider'],
          message: `unknown provider account "${deployment.provider}" (one of ${catalogProviderIdSchema.options.join(', ')})`,
        });
      }
    });
    if (entry.deployment_strategy !== undefined && entry.deployments === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['deployment_strategy'],
        message: 'deployment_strategy needs deployments',
      });
    }
  })
  .refine((entry) => entry.max_output_tokens <= entry.context_window, {
    message: 'max_output_tokens cannot exceed context_window',
    path: ['max_output_tokens'],
  })
  .refine((entry) => entry.batching === undefined || entry.capabilities.batching, {
    message: 'batching needs capabilities.batching: true (the model takes several inputs per call)',
    path: ['batching'],
  })
  .refine(
    (entry) =>
      entry.batching === undefined ||
      entry.endpoints.some((endpoint) => endpoint === 'completions' || endpoint === 'embeddings'),
    {
      message: 'batching applies to completions and embeddings; the model serves neither',
      path: ['batching'],
    },
  );
export type ModelEntry = z.infer<typeof modelEntrySchema>;
export type ModelEntryInput = z.input<typeof modelEntrySchema>;

/** The whole catalog file. Cross-entry rules (unique names, known fallbacks) are checked too. */
export const modelCatalogFileSchema = z
  .object({
    models: z.array(modelEntrySchema).min(1),
    /**
     * Limits of a provider account that all its models share (one API key's RPM/TPM), on top
     * of each model's own `rate_limits`.
     */
    provider_limits: z.partialRecord(catalogProviderIdSchema, rateLimitsSchema).optional(),
  })
  .strict()
  .superRefine((file, context) => {
    const owner = new Map<string, number>();
    file.models.forEach((entry, index) => {
      for (const name of [entry.id, ...entry.aliases]) {
        if (name === 'auto') {
          context.addIssue({
            code: 'custom',
            path: ['models', index, 'aliases'],
            message: '"auto" is reserved for automatic routing',
          });
        }
        const first = owner.get(name);
        if (first !== undefined) {
          context.addIssue({
            code: 'custom',
            path: ['models', index, name === entry.id ? 'id' : 'aliases'],
            message: `"${name}" is already defined by models[${first}]`,
          });
        } else owner.set(name, index);
      }
    });
    // A deployment with its own endpoint or key is an account of its own, named
    // `<provider>.<deployment id>`: every model listing it must describe it the same way.
    const accounts = new Map<string, { where: string; base?: string; key?: string }>();
    file.models.forEach((entry, index) => {
      entry.deployments?.forEach((deployment, position) => {
        if (deployment.base_url === undefined && deployment.api_key_env === undefined) return;
        const id = deploymentAccountId(deployment.provider ?? entry.provider, deployment.id);
        const first = accounts.get(id);
        if (first === undefined) {
          accounts.set(id, {
            where: `models[${index}].deployments[${position}]`,
            base: deployment.base_url,
            key: deployment.api_key_env,
          });
        } else if (first.base !== deployment.base_url || first.key !== deployment.api_key_env) {
          context.addIssue({
            code: 'custom',
            path: ['models', index, 'deployments', position, 'id'],
            message: `deployment "${deployment.id}" of the same provider is ${first.where} with another base_url or api_key_env: give it another id`,
          });
        }
      });
    });
    const ids = new Set(file.models.map((entry) => entry.id));
    file.models.forEach((entry, index) => {
      entry.fallbacks.forEach((fallback, position) => {
        if (!ids.has(fallback) || fallback === entry.id) {
          context.addIssue({
            code: 'custom',
            path: ['models', index, 'fallbacks', position],
            message:
              fallback === entry.id
                ? 'a model cannot fall back to itself'
                : `unknown model id "${fallback}" (fallbacks name ids, not aliases)`,
          });
        }
      });
    });
  });
export type ModelCatalogFile = z.infer<typeof modelCatalogFileSchema>;

export interface ModelCatalogOptions {
  /**
   * Provider account ids that are configured (keyed) in this process. A model of any other
   * provider is listed but unusable. Default: every provider.
   */
  availableProviders?: Iterable<string>;
  /** Limits shared by all models of a provider account (the file's `provider_limits`). */
  providerLimits?: Partial<Record<string, RateLimitsInput>>;
  /**
   * The `max_tokens` each Anthropic account sends when a request names none (the account's
   * `maxTokensDefault`), by account id. An account left out sends the adapter's default
   * (4,096). Routing checks it beside the prompt, and reservations and estimates count it, as
   * the call sends it.
   */
  maxTokensDefaults?: Partial<Record<string, number>>;
}

/** Why a model cannot take a request right now, or `undefined` when it can. */
export type Unavailability = 'disabled' | 'provider_not_configured' | 'endpoint_not_supported';

/** Resolves model ids and aliases to catalog entries and says which of them are usable. */
export class ModelCatalog {
  private readonly byName = new Map<string, ModelEntry>();
  private readonly entries: ModelEntry[];
  private readonly availableProviders: Set<string> | undefined;
  private readonly providerLimits: Partial<Record<string, RateLimits>>;
  private readonly maxTokensDefaults: Partial<Record<string, number>>;

  /** @param entries parsed entries (see {@link modelCatalogFileSchema}); names must be unique */
  constructor(entries: readonly ModelEntryInput[], options: ModelCatalogOptions = {}) {
    const parsed = modelCatalogFileSchema.parse({ models: entries });
    this.entries = parsed.models;
    for (const entry of this.entries) {
      for (const name of [entry.id, ...entry.aliases]) this.byName.set(name, entry);
    }
    this.availableProviders = options.availableProviders
      ? new Set(options.availableProviders)
      : undefined;
    this.providerLimits = Object.fromEntries(
      Object.entries(options.providerLimits ?? {}).map(([provider, limits]) => [
        provider,
        rateLimitsSchema.parse(limits),
      ]),
    );
    this.maxTokensDefaults = { ...options.maxTokensDefaults };
  }

  /**
   * The `max_tokens` `entry`'s account sends when a request names none (see
   * {@link ModelCatalogOptions.maxTokensDefaults}); for a model with deployments on several
   * accounts, the largest, as reservations are worst cases. Undefined when no account of it
   * has its own (the adapter's default applies).
   */
  maxTokensDefaultOf(entry: ModelEntry): number | undefined {
    let largest: number | undefined;
    for (const deployment of deploymentsOf(entry)) {
      // A deployment's own account is made from its provider's and keeps its settings.
      const configured =
        this.maxTokensDefaults[deployment.account] ?? this.maxTokensDefaults[deployment.provider];
      if (configured !== undefined) largest = Math.max(largest ?? 0, configured);
    }
    return largest;
  }

  /** Limits every model of `provider` shares, when the catalog sets them. */
  limitsOfProvider(provider: string): RateLimits | undefined {
    return this.providerLimits[provider];
  }

  /** The entry with this id or alias. */
  resolve(name: string): ModelEntry | undefined {
    return this.byName.get(name);
  }

  /** Every entry, in file order. */
  list(): ModelEntry[] {
    return [...this.entries];
  }

  /**
   * Why `entry` cannot serve requests of `endpoint` (default `chat`, what jobs and routing
   * use) here, or undefined when it can.
   */
  unavailability(
    entry: ModelEntry,
    endpoint: CatalogEndpoint = 'chat',
  ): Unavailability | undefined {
    if (!entry.enabled) return 'disabled';
    const available = this.availableProviders;
    // A model with deployments is usable while any of their provider accounts is.
    if (available && !deploymentsOf(entry).some((deployment) => available.has(deployment.provider)))
      return 'provider_not_configured';
    if (!entry.endpoints.includes(endpoint)) return 'endpoint_not_supported';
    return undefined;
  }

  isAvailable(entry: ModelEntry, endpoint: CatalogEndpoint = 'chat'): boolean {
    return this.unavailability(entry, endpoint) === undefined;
  }

  /** Entries usable for `endpoint` (default `chat`), in file order. */
  available(endpoint: CatalogEndpoint = 'chat'): ModelEntry[] {
    return this.entries.filter((entry) => this.isAvailable(entry, endpoint));
  }
}
