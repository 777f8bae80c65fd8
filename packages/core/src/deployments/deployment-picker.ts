import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ModelEntry } from '../catalog/model-catalog';
import { deploymentsOf, type ModelDeployment } from '../catalog/model-deployments';
import { deploymentRateScope } from '../limits/provider-rate-limiter';
import type { RedisKeys } from '../redis/redis-keys';
import { endDeploymentCallScript, readDeploymentStateScript } from './deployment-state-scripts';
import { type DeploymentState, rankDeployments, weightedOrder } from './rank-deployments';

/**
 * Chooses the order in which one call tries a model's deployments, and hears how each call
 * went. The chain runner asks it once per model of a chain.
 */
export interface DeploymentChooser {
  /** The model's deployments, best first (a model without deployments: its implicit one). */
  order(entry: ModelEntry): Promise<ModelDeployment[]>;
  /**
   * Marks a call as started on `deployment`; the returned function ends it with its latency
   * (undefined: it failed). Never throws, never makes the caller wait.
   */
  track(entry: ModelEntry, deployment: ModelDeployment): (latencyMs: number | undefined) => void;
}

/** A chooser with no shared state: weighted draws only (unit tests, tools). */
export const weightedChooser: DeploymentChooser = {
  order: async (entry) => {
    const deployments = deploymentsOf(entry);
    return deployments.length === 1 ? deployments : weightedOrder(deployments);
  },
  track: () => () => undefined,
};

export interface DeploymentPickerOptions {
  /** Smoothing of the latency moving average: the weight of the newest call. Default 0.3. */
  latencyAlpha: number;
  /** A call in flight this long, ms, is forgotten (its worker died). Default 600000. */
  inFlightMaxAgeMs: number;
}

export const defaultDeploymentPickerOptions: DeploymentPickerOptions = {
  latencyAlpha: 0.3,
  inFlightMaxAgeMs: 600_000,
};

/**
 * The pick strategies over state every worker shares through Redis. A model with one
 * deployment, and the `weighted` strategy, cost no Redis round trip at all (an open circuit
 * or a pause is found by the call's own breaker and limiter checks, which move on to the next
 * deployment); the other strategies read every deployment's state in one script per pick, and
 * report each call in the background.
 */
export class DeploymentPicker implements DeploymentChooser {
  private readonly options: DeploymentPickerOptions;
  private readonly idPrefix = randomBytes(6).toString('base64url');
  private sequence = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    options: Partial<DeploymentPickerOptions> = {},
    /** A background write failed; logged by the caller, never thrown. */
    private readonly onError?: (error: unknown) => void,
    private readonly random: () => number = Math.random,
  ) {
    this.options = { ...defaultDeploymentPickerOptions, ...options };
  }

  async order(entry: ModelEntry): Promise<ModelDeployment[]> {
    const deployments = deploymentsOf(entry);
    const strategy = entry.deployment_strategy ?? 'weighted';
    if (deployments.length === 1) return deployments;
    if (strategy === 'weighted') return weightedOrder(deployments, this.random);
    let states: DeploymentState[] | undefined;
    try {
      states = await this.read(entry, deployments);
    } catch (error) {
      // Without shared state the call still goes ahead, by weight.
      this.onError?.(error);
    }
    return rankDeployments(strategy, deployments, states, this.random);
  }

  /** Every deployment's shared state, in one round trip. */
  async read(entry: ModelEntry, deployments: readonly ModelDeployment[]) {
    const keys: string[] = [];
    const windows: number[] = [];
    for (const deployment of deployments) {
      const id = deployment.id ?? '';
      const scope = deploymentRateScope(deployment);
      keys.push(
        this.keys.deploymentInFlight(entry.id, id),
        this.keys.deploymentStats(entry.id, id),
        this.keys.ratePause(deployment.account, deployment.stateModel),
        this.keys.circuit(deployment.account, deployment.stateModel),
        this.keys.rateWindowLog(scope),
        this.keys.rateWindowTokens(scope),
      );
      windows.push(deployment.rate_limits?.window_ms ?? 0);
    }
    const reply = (await readDeploymentStateScript.run(this.redis, keys, [
      this.options.inFlightMaxAgeMs,
      ...windows,
    ])) as Array<number | string>;
    return deployments.map((_, index): DeploymentState => {
      const at = index * 5;
      const latency = String(reply[at + 1] ?? '');
      return {
        inFlight: Number(reply[at] ?? 0),
        latencyMs: latency === '' ? undefined : Number(latency),
        unhealthy: Number(reply[at + 2] ?? 0) === 1,
        requestsUsed: Number(reply[at + 3] ?? 0),
        tokensUsed: Number(reply[at + 4] ?? 0),
      };
    });
  }

  track(entry: ModelEntry, deployment: ModelDeployment): (latencyMs: number | undefined) => void {
    const strategy = entry.deployment_strategy ?? 'weighted';
    if (deployment.id === undefined || strategy === 'weighted') return () => undefined;
    const inFlight = this.keys.deploymentInFlight(entry.id, deployment.id);
    const stats = this.keys.deploymentStats(entry.id, deployment.id);
    this.sequence = (this.sequence + 1) % Number.MAX_SAFE_INTEGER;
    const id = `${this.idPrefix}.${this.sequence.toString(36)}`;
    // Only least-busy reads the in-flight set; the latency average is kept for all others.
    const counted = strategy === 'least-busy';
    if (counted) this.redis.zadd(inFlight, Date.now(), id).catch((error) => this.onError?.(error));
    return (latencyMs) => {
      if (!counted && latencyMs === undefined) return;
      endDeploymentCallScript
        .run(
          this.redis,
          [inFlight, stats],
          [id, latencyMs === undefined ? -1 : Math.round(latencyMs), this.options.latencyAlpha],
        )
        .catch((error) => this.onError?.(error));
    };
  }
}
