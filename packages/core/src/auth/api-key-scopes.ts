import { z } from 'zod';

/**
 * Closed set of API key scopes. `admin` manages keys, tenants, policies and queues;
 * `admin:read` sees them (audit log, key lists, Bull Board in read-only mode).
 * `jobs:content` reads the prompts of the tenant's jobs (`include=request` on the job routes,
 * a stored response's `input_items` and `instructions`);
 * `jobs:read` alone sees statuses, metadata and results, never a prompt.
 */
export const apiKeyScopeSchema = z.enum([
  'jobs:write',
  'jobs:read',
  'jobs:content',
  'batches',
  'usage',
  'admin',
  'admin:read',
]);
export type ApiKeyScope = z.infer<typeof apiKeyScopeSchema>;

/** What static keys (env `API_KEYS`) and the development key may do: everything but admin. */
export const tenantScopes: readonly ApiKeyScope[] = [
  'jobs:write',
  'jobs:read',
  'jobs:content',
  'batches',
  'usage',
];

/** Whether a key holding `granted` may use a route that needs `required`. */
export function hasScope(granted: readonly ApiKeyScope[], required: ApiKeyScope): boolean {
  if (granted.includes(required)) return true;
  // Full admin implies read-only admin.
  return required === 'admin:read' && granted.includes('admin');
}
