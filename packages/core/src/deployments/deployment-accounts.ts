import type { ModelCatalog } from '../catalog/model-catalog';
import { deploymentsOf } from '../catalog/model-deployments';

/** What a deployment account is copied from: any provider account config with these fields. */
interface AccountFields {
  id: string;
  baseURL?: string;
  apiKey?: string;
}

/** Names of the environment variables the catalog's deployments take their API keys from. */
export function deploymentKeyNames(catalog: ModelCatalog): string[] {
  const names = new Set<string>();
  for (const entry of catalog.list()) {
    for (const deployment of deploymentsOf(entry)) {
      if (deployment.api_key_env !== undefined) names.add(deployment.api_key_env);
    }
  }
  return [...names].sort();
}

/**
 * The provider accounts of deployments with their own base URL or key: a copy of the account
 * the deployment names, with that URL and key, under the id `<provider>.<deployment>`. A
 * deployment whose account is not configured, or whose key variable is unset, gets none: its
 * calls are skipped as `model_unavailable` and the pick moves on.
 * @param keys the values of {@link deploymentKeyNames}, read by the app's env.ts
 */
export function deploymentAccounts<Account extends AccountFields>(
  catalog: ModelCatalog,
  accounts: readonly Account[],
  keys: Readonly<Record<string, string | undefined>>,
): Account[] {
  const byId = new Map(accounts.map((account) => [account.id, account]));
  const made = new Map<string, Account>();
  for (const entry of catalog.list()) {
    for (const deployment of deploymentsOf(entry)) {
      if (deployment.account === deployment.provider || made.has(deployment.account)) continue;
      const base = byId.get(deployment.provider);
      if (base === undefined) continue;
      const apiKey =
        deployment.api_key_env === undefined ? base.apiKey : keys[deployment.api_key_env];
      if (deployment.api_key_env !== undefined && !apiKey) continue;
      made.set(deployment.account, {
        ...base,
        id: deployment.account,
        baseURL: deployment.base_url ?? base.baseURL,
        apiKey,
      });
    }
  }
  return [...made.values()];
}
