import { z } from 'zod';
import { type DetectorId, detectorIdSchema } from './detectors';

/** What a detector's finding does: refuse the text, mask it, record it, or nothing. */
export const filterActionSchema = z.enum(['block', 'redact', 'flag', 'off']);
export type FilterAction = z.infer<typeof filterActionSchema>;

const actionsSchema = z
  .object(
    Object.fromEntries(detectorIdSchema.options.map((id) => [id, filterActionSchema])) as Record<
      DetectorId,
      typeof filterActionSchema
    >,
  )
  .strict();

/** One stage's policy (input or output): an action per detector. */
export const stagePolicySchema = z.object({ detectors: actionsSchema }).strict();
export type StagePolicy = z.infer<typeof stagePolicySchema>;

/**
 * A tenant's filter policy, stored in Redis and managed with
 * `PUT /v1/admin/tenants/:tenant/filter-policy`. Size limits apply to the input only.
 */
export const filterPolicySchema = z
  .object({
    input: stagePolicySchema.extend({
      /** Most characters over all messages (default 200,000). */
      max_characters: z.number().int().positive().max(10_000_000),
      /** Most tokens over all messages, counted with the o200k tokenizer (default 50,000). */
      max_tokens: z.number().int().positive().max(10_000_000),
    }),
    output: stagePolicySchema,
  })
  .strict();
export type FilterPolicy = z.infer<typeof filterPolicySchema>;

/** A partial policy as an admin may send it; missing parts keep the defaults. */
export const filterPolicyPatchSchema = z
  .object({
    input: z
      .object({
        detectors: actionsSchema.partial().optional(),
        max_characters: z.number().int().positive().max(10_000_000).optional(),
        max_tokens: z.number().int().positive().max(10_000_000).optional(),
      })
      .strict()
      .optional(),
    output: z.object({ detectors: actionsSchema.partial().optional() }).strict().optional(),
  })
  .strict();
export type FilterPolicyPatch = z.infer<typeof filterPolicyPatchSchema>;

/**
 * Defaults for a tenant with no stored policy: secrets are never sent to a provider and never
 * returned (block), personal data is masked before the provider sees it (redact) and only
 * recorded in answers (flag), prompt-injection attempts are recorded.
 */
export const defaultFilterPolicy: FilterPolicy = {
  input: {
    max_characters: 200_000,
    max_tokens: 50_000,
    detectors: {
      secret: 'block',
      credit_card: 'redact',
      iban: 'redact',
      email: 'flag',
      phone: 'flag',
      prompt_injection: 'flag',
    },
  },
  output: {
    detectors: {
      secret: 'redact',
      credit_card: 'redact',
      iban: 'redact',
      email: 'flag',
      phone: 'flag',
      prompt_injection: 'flag',
    },
  },
};

/** Applies a patch over a base policy. */
export function mergeFilterPolicy(base: FilterPolicy, patch: FilterPolicyPatch): FilterPolicy {
  return filterPolicySchema.parse({
    input: {
      ...base.input,
      ...patch.input,
      detectors: { ...base.input.detectors, ...patch.input?.detectors },
    },
    output: { detectors: { ...base.output.detectors, ...patch.output?.detectors } },
  });
}
