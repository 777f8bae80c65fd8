import type { ModelCatalog } from '../catalog/model-catalog';
import type { RequestedServiceTier, ServiceTier } from '../catalog/service-tier';
import { ClientError } from '../errors/client-error';
import type { ChatRequest } from '../messages/chat-request';
import { maxOutputTokensOf } from '../providers/max-output-tokens';
import type { RoutingDecision } from '../routing/route-request';
import {
  chooseServiceTier,
  type TierChoiceInput,
  type TierOption,
  tierOptions,
} from './choose-service-tier';
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

/** A job's tier and its deadline. */
export interface JobTier {
  tier: ServiceTier;
  reason: string;
  /** The job's deadline, epoch ms. */
  deadline?: number;
}

/** What a job's tier is weighed on: its request (deadline, pin) and its estimated usage. */
type JobTierInput = [
  catalog: ModelCatalog,
  decision: Pick<RoutingDecision, 'model' | 'input_tokens'>,
  request: DeadlineFields & { service_tier?: RequestedServiceTier },
  chat: Pick<ChatRequest, 'maxTokens' | 'reasoning'>,
  now: number,
];

/**
 * The request's deadline and, when the routed model is in the catalog, what a choice among
 * `runnable` weighs: its entry, the usage priced on each tier, the time left and the pin.
 */
function tierChoiceBase(
  runnable: readonly ServiceTier[],
  ...[catalog, decision, request, chat, now]: JobTierInput
): { deadline?: number; base?: TierChoiceInput } {
  const deadline = deadlineOf(request, now);
  const entry = catalog.resolve(decision.model);
  if (!entry) return { deadline };
  return {
    deadline,
    base: {
      entry,
      usage: {
        inputTokens: decision.input_tokens,
        outputTokens: maxOutputTokensOf(entry, chat, {
          maxTokensDefault: catalog.maxTokensDefaultOf(entry),
        }),
      },
      ...(deadline !== undefined ? { timeLeftMs: deadline - now } : {}),
      requested: request.service_tier ?? 'auto',
      runnable,
    },
  };
}

/**
 * Chooses a job's tier from its routed model, deadline and pin.
 * @throws ClientError `service_tier_unavailable` for a pin the job cannot run on
 */
export function chooseJobTier(...input: JobTierInput): JobTier {
  const [, , request, , now] = input;
  const { deadline, base } = tierChoiceBase(jobRunnableTiers, ...input);
  if (!base) return { tier: 'standard', reason: 'model not in catalog' };
  if (request.service_tier === 'batch')
    throw new ClientError(
      'service_tier_unavailable',
      'service_tier "batch" (the provider\'s batch API) runs batch lines only: send the work as a batch (POST /v1/batches with service_tier "batch"), or pin standard or flex on a job',
    );
  const choice = chooseServiceTier(base);
  if (!choice.ok) throw new ClientError('service_tier_unavailable', choice.message);
  // Flex holds its 429s until a deadline: a pinned flex job without one gets a default window.
  const effective = deadline ?? (choice.tier === 'flex' ? now + defaultFlexHoldMs : undefined);
  return {
    tier: choice.tier,
    reason: choice.reason,
    ...(effective !== undefined ? { deadline: effective } : {}),
  };
}

/**
 * Every tier the routed model offers, priced for this request (runnable by a job or not), with
 * its expected completion and whether it meets the deadline: what `POST /v1/estimate` shows.
 * Not part of {@link chooseJobTier}: a submit reads only the chosen tier.
 */
export function priceJobTiers(...input: JobTierInput): TierOption[] {
  const { base } = tierChoiceBase(allTiers, ...input);
  return base ? tierOptions(base) : [];
}
