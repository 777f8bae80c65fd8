import {
  type BatchLineJobData,
  type EndpointLineJobData,
  type FilterPolicy,
  type FilterPolicyStore,
  filterChatRequest,
  inspectInput,
  type JobFailure,
} from '@llmq/core';
import { blockingDetectors } from '../pipeline/job-runner';

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
  if (!filterPolicies) return data;
  const texts =
    data.endpoint === '/v1/embeddings' ? data.embedding.inputs : data.completion.prompts;
  const verdict = inspectInput(
    texts.map((text, index) => ({ location: `input[${index}]`, text })),
    await filterPolicies.policyFor(data.tenant),
  );
  if (verdict.blocked)
    return {
      failure: {
        code: 'content_filtered',
        message: `the input filter rejected the request: ${verdict.reason ?? 'policy'}`,
      },
    };
  const redacted = verdict.texts;
  if (!redacted.some((text, index) => text !== texts[index])) return data;
  return data.endpoint === '/v1/embeddings'
    ? { ...data, embedding: { ...data.embedding, inputs: redacted } }
    : { ...data, completion: { ...data.completion, prompts: redacted } };
}
