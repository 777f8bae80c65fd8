import { z } from 'zod';

/**
 * How a unit of work is run, cheapest last: `standard` (an ordinary provider call, run now by
 * llmq), `flex` (OpenAI's `service_tier: "flex"`: cheaper, slower, may be refused with 429),
 * `batch` (the provider's batch API: cheapest, answered within hours).
 */
export const serviceTierSchema = z.enum(['standard', 'flex', 'batch']);
export type ServiceTier = z.infer<typeof serviceTierSchema>;

/** A tier a request may ask for: one of the tiers, or `auto` (the cheapest meeting its deadline). */
export const requestedServiceTierSchema = z.enum(['auto', 'standard', 'flex', 'batch']);
export type RequestedServiceTier = z.infer<typeof requestedServiceTierSchema>;
