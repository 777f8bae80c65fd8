import {
  type BatchLineJobData,
  type EndpointLineJobData,
  type FilterPolicy,
  type FilterPolicyStore,
  filterChatRequest,
  inspectInput,
  type JobFailure,
} from '@llmq/core';
import { blockingDetectors } from '@llmq/runner';

/**
 * Input filter, at run time: the policy in force when the line runs, as for prompt jobs
 * (whose filter runs at submit). A blocked line fails without a provider call; redacted text
 * is what the provider sees.
 */
export function filterLineInput(
  request: BatchLineJobData['request'],
  policy: FilterPolicy,
):
  | BatchLineJobData['request']
  | { failure: { code: 'content_filtered'; message: string }; detectors: string[] } {
  const filtered = filterChatRequest(request, policy);
  if (filtered.verdict.blocked)
    return {
      failure: {
        code: 'content_filtered',
        message: `the input filter rejected the request: ${filtered.verdict.reason ?? 'policy'}`,
      },
      detectors: blockingDetectors(filtered.verdict.findings),
    };
  return filtered.request;
}

/** The line as the provider will see it (inputs redacted), or why the input filter refused it. */
export async function filterEndpointInput(
  filterPolicies: FilterPolicyStore | undefined,
  data: EndpointLineJobData,
): Promise<EndpointLineJobData | { failure: JobFailure }> {
  const texts =
    data.endpoint === '/v1/embeddings' ? data.embedding.inputs : data.completion.prompts;
  const redacted = await filterEndpointTexts(filterPolicies, data.tenant, texts);
  if ('failure' in redacted) return redacted;
  if (redacted.texts === texts) return data;
  return data.endpoint === '/v1/embeddings'
    ? { ...data, embedding: { ...data.embedding, inputs: redacted.texts } }
    : { ...data, completion: { ...data.completion, prompts: redacted.texts } };
}

/**
 * The inputs or prompts of an embeddings or completions request as the provider will see
 * them (the same array when nothing was redacted), or why the tenant's input filter refused.
 */
export async function filterEndpointTexts(
  filterPolicies: FilterPolicyStore | undefined,
  tenant: string,
  texts: string[],
): Promise<{ texts: string[] } | { failure: JobFailure }> {
  if (!filterPolicies) return { texts };
  const verdict = inspectInput(
    texts.map((text, index) => ({ location: `input[${index}]`, text })),
    await filterPolicies.policyFor(tenant),
  );
  if (verdict.blocked)
    return {
      failure: {
        code: 'content_filtered',
        message: `the input filter rejected the request: ${verdict.reason ?? 'policy'}`,
      },
    };
  const redacted = verdict.texts;
  return { texts: redacted.some((text, index) => text !== texts[index]) ? redacted : texts };
}
