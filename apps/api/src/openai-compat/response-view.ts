import {
  ClientError,
  convertToResponseOutput,
  fromJobUsage,
  type JobRecord,
  type ResponseObject,
  responseObject,
  responseStatusOfJob,
  type StoredResponse,
} from '@llmq/core';

/**
 * A stored response as its job stands now: `queued`, `in_progress` (the job is active),
 * `completed` or `incomplete` (from how the answer ended), `failed` or `cancelled`. The status
 * is {@link responseStatusOfJob}'s, the mapping the `response.*` webhooks use too, so a
 * polled response and its webhook never disagree.
 */
export function responseViewOf(stored: StoredResponse, record: JobRecord): ResponseObject {
  const base = { id: stored.id, createdAt: stored.createdAt };
  const completedAt =
    record.finishedAt !== undefined ? Math.floor(record.finishedAt / 1000) : undefined;
  const end = responseStatusOfJob(record);
  switch (end.status) {
    case 'queued':
    case 'in_progress':
      return responseObject(stored.settings, { ...base, status: end.status });
    case 'completed':
    case 'incomplete': {
      const result = record.result;
      // The mapping ends a job this way only once its result is written.
      if (!result) return responseObject(stored.settings, { ...base, status: 'in_progress' });
      const content =
        result.content ??
        (result.text === '' ? [] : [{ type: 'text' as const, text: result.text }]);
      const view = responseObject(stored.settings, {
        ...base,
        ...end,
        ...(completedAt !== undefined ? { completedAt } : {}),
        usage: fromJobUsage(result.usage),
        output: convertToResponseOutput(content, {
          responseId: stored.id,
          incomplete: end.status === 'incomplete',
          encryptedReasoning: stored.settings.encrypted_reasoning,
        }),
      });
      // The catalog model that answered, as OpenAI reports the model snapshot it ran.
      return { ...view, model: result.model };
    }
    case 'failed':
      return responseObject(stored.settings, {
        ...base,
        status: 'failed',
        error: {
          code: record.error?.code ?? 'server_error',
          message: record.error?.message ?? 'the response failed',
        },
      });
    case 'cancelled':
      return responseObject(stored.settings, { ...base, status: 'cancelled' });
    default: {
      const unreachable: never = end.status;
      return unreachable;
    }
  }
}

/** OpenAI's 404 for a response id that is unknown, expired, deleted or another tenant's. */
export function responseNotFound(responseId: string, what = 'Response'): ClientError {
  return new ClientError('not_found', `${what} with id '${responseId}' not found.`);
}
