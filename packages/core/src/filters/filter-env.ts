import { z } from 'zod';
import {
  defaultFilterPolicy,
  type FilterPolicy,
  filterPolicyPatchSchema,
  mergeFilterPolicy,
} from './filter-policy';

/**
 * Filter configuration shared by the API (input filter) and the worker (output filter).
 * `FILTER_POLICY` is JSON in the shape of the admin API's policy patch, applied over the
 * built-in defaults, e.g. `{"input":{"detectors":{"email":"redact"}}}`. Tenants override it with
 * `PUT /v1/admin/tenants/:tenant/filter-policy`.
 */
export const filterEnvShape = {
  FILTER_POLICY: z
    .string()
    .optional()
    .transform((value, context): FilterPolicy => {
      if (value === undefined || value.trim() === '') return defaultFilterPolicy;
      try {
        return mergeFilterPolicy(
          defaultFilterPolicy,
          filterPolicyPatchSchema.parse(JSON.parse(value)),
        );
      } catch (error) {
        context.addIssue({
          code: 'custom',
          message: `not a valid filter policy: ${error instanceof Error ? error.message : String(error)}`,
        });
        return z.NEVER;
      }
    }),
  /** How long a process caches a tenant's filter policy, ms. */
  FILTER_POLICY_CACHE_MS: z.coerce.number().int().min(0).default(5000),
};
