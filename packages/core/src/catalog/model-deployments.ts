import { z } from 'zod';
import { type RateLimits, rateLimitsSchema } from './rate-limits';

/**
 * How a model with several deployments picks the one to call (`deployment_strategy` in the
 * catalog): `weighted` draws by weight (default), `least-busy` takes the one with the fewest
 * calls in flight, `lowest-latency` the one with the lowest moving average latency,
 * `most-headroom` the one furthest under its rate limits. Every worker reads the same state
 * from Redis; a paused deployment or one whose circuit is open is tried last.
 */
export const deploymentStrategySchema = z.enum([
  'weighted',
  'least-busy',
  'lowest-latency',
  'most-headroom',
]);
export type DeploymentStrategy = z.infer<typeof deploymentStrategySchema>;

/** Deployment ids appear in Redis keys, metrics labels and provider account ids. */
export const deploymentIdSchema = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "_" and "-"');

/**
 * One deployment of a catalog model, as written in the catalog: where one copy of the model is
 * served. `provider` and `upstream_model` default to the model's; `base_url` and `api_key_env`
 * give it its own endpoint or key (an account of its own, with no share of `provider_limits`).
 */
export const modelDeploymentSchema = z
  .object({
    /** Unique within the model; shown on attempt records and the `deployment` metrics label. */
    id: deploymentIdSchema,
    /** Provider account (catalog provider id); default: the model's `provider`. */
    provider: z.string().min(1).optional(),
    /** The provider's name for the model here (an Azure deployment name); default: the model's. */
    upstream_model: z.string().min(1).optional(),
    /** This deployment's own API base URL; default: its provider account's. */
    base_url: z.url().optional(),
    /**
     * Name of the environment variable holding this deployment's own API key (keys never go in
     * the catalog); default: its provider account's key. Unset at start: the deployment is
     * unusable and skipped.
     */
    api_key_env: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name (A-Z, 0-9, _)')
      .optional(),
    /** Share of calls under the `weighted` strategy, relative to the others. Default 1. */
    weight: z.number().positive().max(1_000_000).default(1),
    /** This deployment's RPM/TPM limits; default: the model's `rate_limits`. */
    rate_limits: rateLimitsSchema.optional(),
  })
  .strict();
export type ModelDeploymentInput = z.input<typeof modelDeploymentSchema>;
export type ModelDeploymentConfig = z.infer<typeof modelDeploymentSchema>;

/** The fields of a catalog entry a deployment falls back to. */
interface DeploymentDefaults {
  id: string;
  provider: string;
  upstream_model: string;
  rate_limits?: RateLimits;
  deployments?: ModelDeploymentConfig[];
}

/**
 * One place a model is served, resolved from its entry: what to call and which Redis state
 * (circuit, limiter window, pause, pick statistics) is its own.
 */
export interface ModelDeployment {
  /** The catalog id; undefined for the single implicit deployment of an entry with none. */
  id: string | undefined;
  /** The provider account the catalog names (attempt records, metrics). */
  provider: string;
  /**
   * The provider registry id to call through: `provider`, or `<provider>.<id>` when the
   * deployment has its own base URL or key (see {@link deploymentAccountId}).
   */
  account: string;
  upstream_model: string;
  weight: number;
  rate_limits?: RateLimits;
  /**
   * The model part of this deployment's circuit, pause and window keys: `upstream_model`, or
   * `upstream_model@id`, so the implicit deployment keeps the keys llmq always used.
   */
  stateModel: string;
  /** Its own endpoint or key, when it has one. */
  base_url?: string;
  api_key_env?: string;
}

/** The registry id of a deployment with its own base URL or key. */
export function deploymentAccountId(provider: string, deploymentId: string): string {
  return `${provider}.${deploymentId}`;
}

const resolved = new WeakMap<object, ModelDeployment[]>();

/**
 * The deployments of a catalog entry, in catalog order: its `deployments`, or one implicit
 * deployment made of its `provider`, `upstream_model` and `rate_limits`. Memoised per entry.
 */
export function deploymentsOf(entry: DeploymentDefaults): ModelDeployment[] {
  const cached = resolved.get(entry);
  if (cached) return cached;
  const list: ModelDeployment[] =
    entry.deployments === undefined || entry.deployments.length === 0
      ? [
          {
            id: undefined,
            provider: entry.provider,
            account: entry.provider,
            upstream_model: entry.upstream_model,
            weight: 1,
            rate_limits: entry.rate_limits,
            stateModel: entry.upstream_model,
          },
        ]
      : entry.deployments.map((deployment) => {
          const provider = deployment.provider ?? entry.provider;
          const upstream = deployment.upstream_model ?? entry.upstream_model;
          const ownAccount =
            deployment.base_url !== undefined || deployment.api_key_env !== undefined;
          return {
            id: deployment.id,
            provider,
            account: ownAccount ? deploymentAccountId(provider, deployment.id) : provider,
            upstream_model: upstream,
            weight: deployment.weight,
            rate_limits: deployment.rate_limits ?? entry.rate_limits,
            stateModel: `${upstream}@${deployment.id}`,
            ...(deployment.base_url !== undefined ? { base_url: deployment.base_url } : {}),
            ...(deployment.api_key_env !== undefined
              ? { api_key_env: deployment.api_key_env }
              : {}),
          };
        });
  resolved.set(entry, list);
  return list;
}

/** The key under which a deployment's Retry-After is remembered across worker attempts. */
export function deploymentWaitKey(model: string, deployment: string | undefined): string {
  return deployment === undefined ? model : `${model}@${deployment}`;
}
