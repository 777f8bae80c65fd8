import type { DeploymentStrategy, ModelDeployment } from '../catalog/model-deployments';
import { perWindow } from '../catalog/rate-limits';

/** What every worker knows of one deployment, read from Redis in one script (see the picker). */
export interface DeploymentState {
  /** Calls in flight on it, across workers. */
  inFlight: number;
  /** Moving average latency of its successful calls, ms; undefined before its first. */
  latencyMs: number | undefined;
  /** True while a 429 or the provider's headers pause it, or its circuit is open. */
  unhealthy: boolean;
  /** Requests and tokens reserved in its current rate-limit window. */
  requestsUsed: number;
  tokensUsed: number;
}

/**
 * Weighted random order without replacement (Efraimidis–Spirakis): each deployment draws
 * `u^(1/weight)` and the highest draws go first, so the first pick is weight-proportional and
 * the rest stay in a sensible fallback order.
 */
export function weightedOrder(
  deployments: readonly ModelDeployment[],
  random: () => number = Math.random,
): ModelDeployment[] {
  return deployments
    .map((deployment) => ({ deployment, key: random() ** (1 / deployment.weight) }))
    .sort((a, b) => b.key - a.key)
    .map((drawn) => drawn.deployment);
}

/** How far under its limits a deployment is, 0 (full) to 1 (untouched or unlimited). */
export function headroomOf(deployment: ModelDeployment, state: DeploymentState): number {
  const limits = deployment.rate_limits;
  if (!limits) return 1;
  const maxRequests = perWindow(limits.rpm, limits.window_ms);
  const maxTokens = perWindow(limits.tpm, limits.window_ms);
  const requestShare = maxRequests > 0 ? state.requestsUsed / maxRequests : 0;
  const tokenShare = maxTokens > 0 ? state.tokensUsed / maxTokens : 0;
  return Math.max(0, 1 - Math.max(requestShare, tokenShare));
}

/** Lower sorts first; ties keep the weighted draw's order. */
function scoreOf(
  strategy: Exclude<DeploymentStrategy, 'weighted'>,
  deployment: ModelDeployment,
  state: DeploymentState,
): number {
  switch (strategy) {
    case 'least-busy':
      // In-flight per unit of weight: a deployment weighted 2 takes twice the concurrency.
      return state.inFlight / deployment.weight;
    case 'lowest-latency':
      // Untried deployments go first, so each gets measured.
      return state.latencyMs ?? -1;
    case 'most-headroom':
      return -headroomOf(deployment, state);
    default: {
      const exhaustive: never = strategy;
      return exhaustive;
    }
  }
}

/**
 * The order in which a call tries a model's deployments under `strategy`: healthy ones first,
 * best first; unhealthy ones (paused, circuit open) last, as a last resort. `states` lines up
 * with `deployments`; `weighted` needs none.
 */
export function rankDeployments(
  strategy: DeploymentStrategy,
  deployments: readonly ModelDeployment[],
  states: readonly DeploymentState[] | undefined,
  random: () => number = Math.random,
): ModelDeployment[] {
  const drawn = weightedOrder(deployments, random);
  if (states === undefined) return drawn;
  const stateOf = new Map(deployments.map((deployment, index) => [deployment, states[index]]));
  const scored = drawn.map((deployment, position) => {
    const state = stateOf.get(deployment);
    return {
      deployment,
      position,
      unhealthy: state?.unhealthy ?? false,
      score: state && strategy !== 'weighted' ? scoreOf(strategy, deployment, state) : 0,
    };
  });
  scored.sort(
    (a, b) =>
      Number(a.unhealthy) - Number(b.unhealthy) || a.score - b.score || a.position - b.position,
  );
  return scored.map((item) => item.deployment);
}
