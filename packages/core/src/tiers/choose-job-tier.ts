import type { ModelCatalog } from '../catalog/model-catalog';
import type { RequestedServiceTier, ServiceTier } from '../catalog/service-tier';
import { ClientError } from '../errors/client-error';
import type { ChatRequest } from '../messages/chat-request';
import { maxOutputTokensOf } from '../providers/max-output-tokens';
import type { RoutingDecision } from '../routing/route-request';
import { chooseServiceTier, type TierOption } from './choose-service-tier';
import { type DeadlineFields, deadlineOf } from './work-deadline';

/**
 * The tiers a single job can run on: standard and flex. Provider batches take batch lines
 * only (see docs/cost-tiers.md); the estimate still prices every tier the catalog lists.
 */
export const jobRunnableTiers: readonly ServiceTier[] = ['standard', 'flex'];

/**
 * How long a job pinned to flex without a deadline holds flex 429s before it runs standard,
 * ms: 10 minutes.
 */
export const defaultFlexHoldMs = 600_000;

/** Every tier, for pricing in an estimate. */
const allTiers: readonly ServiceTier[] = ['standard', 'flex', 'batch'];

/** A job's tier, the options weighed, and its deadline. */
export interface JobTier {
  tier: ServiceTier;
  reason: string;
  /** Every tier the model offers, priced for this request (runnable or not). */
  options: TierOption[];
  /** The job's deadline, epoch ms. */
  deadline?: number;
}

/**
 * Chooses a job's tier from its routed model, deadline and pin.
 * @throws ClientError `service_tier_unavailable` for a pin the job cannot run on
 */
export function chooseJobTier(
  catalog: ModelCatalog,
  decision: Pick<RoutingDecision, 'model' | 'input_tokens'>,
  request: DeadlineFields & { service_tier?: RequestedServiceTier },
  chat: Pick<ChatRequest, 'maxTokens' | 'reasoning'>,
  now: number,
): JobTier {
  const deadline = deadlineOf(request, now);
  const entry = catalog.resolve(decision.model);
  if (!entry) return { tier: 'standard', reason: 'model not in catalog', options: [] };
  const usage = {
    inputTokens: decision.input_tokens,
    outputTokens: maxOutputTokensOf(entry, chat),
  };
  const base = {
    entry,
    usage,
    ...(deadline !== undefined ? { timeLeftMs: deadline - now } : {}),
    requested: request.service_tier ?? 'auto',
  };
  if (request.service_tier === 'batch')
    throw new ClientError(
      'service_tier_unavailable',
      'service_tier "batch" (the provider\'s batch API) runs batch lines only: send the work as a batch (POST /v1/batches with service_tier "batch"), or pin standard or flex on a job',
    );
  const choice = chooseServiceTier({ ...base, runnable: jobRunnableTiers });
  if (!choice.ok) throw new ClientError('service_tier_unavailable', choice.message);
  const priced = chooseServiceTier({ ...base, requested: 'auto', runnable: allTiers });
  // Flex holds its 429s until a deadline: a pinned flex job without one gets a default window.
  const effective = deadline ?? (choice.tier === 'flex' ? now + defaultFlexHoldMs : undefined);
  return {
    tier: choice.tier,
    reason: choice.reason,
    options: priced.options,
    ...(effective !== undefined ? { deadline: effective } : {}),
  };
}
