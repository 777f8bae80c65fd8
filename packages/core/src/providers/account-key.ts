import { configuredKeyHeader, type ProviderKind } from './provider';

/**
 * Where an account's key comes from: `apiKey` (sent in the kind's key header), a configured
 * header of that name (a gateway's token, say: sent as configured, and no `apiKey`), or
 * neither. Both at once is refused, naming them: the header would replace the key, and a key
 * given and never sent is one silently ignored.
 */
export function accountKeySource(account: {
  id: string;
  kind: ProviderKind;
  apiKey?: string;
  headers?: Record<string, string>;
}): 'apiKey' | 'header' | 'none' {
  const header = configuredKeyHeader(account.kind, account.headers);
  if (header !== undefined && account.apiKey) {
    throw new Error(
      `Provider "${account.id}" (${account.kind}): headers.${header} would replace the key given in apiKey; give one of them`,
    );
  }
  if (header !== undefined) return 'header';
  return account.apiKey ? 'apiKey' : 'none';
}
