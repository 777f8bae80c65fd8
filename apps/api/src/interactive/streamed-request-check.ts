import {
  type AccountParameterRules,
  type ChatRequest,
  findAccountUnsupportedParameter,
  type ModelCatalog,
  modelTraitsOf,
} from '@llmq/core';

/**
 * Refuses, before its job is queued, a streamed request the routed model cannot take. A stream
 * answers 200 before its job runs, so the adapter's own refusal (a field its provider does not
 * have, such as `n` > 1 for a Claude model) would only come as an error event in the stream;
 * checked here with the same rules, it is the 400 `unsupported_parameter` a non-streamed request
 * gets. The check converts the request once more (well under a microsecond for a short chat),
 * so only streams pay it. A model whose account this process does not know is left to its job.
 */
export function streamedRequestCheck(
  catalog: ModelCatalog,
  accounts: ReadonlyArray<AccountParameterRules & { id: string }>,
): (model: string, request: ChatRequest) => void {
  const byId = new Map(accounts.map((account) => [account.id, account]));
  return (model, request) => {
    const entry = catalog.resolve(model);
    const account = entry === undefined ? undefined : byId.get(entry.provider);
    if (entry === undefined || account === undefined) return;
    const refusal = findAccountUnsupportedParameter(account, entry.upstream_model, request, {
      traits: modelTraitsOf(entry),
      maxTokensDefault: catalog.maxTokensDefaultOf(entry),
    });
    if (refusal !== undefined) throw refusal;
  };
}
