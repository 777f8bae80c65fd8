import {
  ClientError,
  convertToResponseOutput,
  fromJobUsage,
  type JobRecord,
  type ResponseObject,
  responseEnd,
  responseObject,
  type StoredResponse,
} from '@llmq/core';

/**
 * A stored response as its job stands now: `queued`, `in_progress` (the job is active),
 * `completed` or `incomplete` (from how the answer ended), `failed` or `cancelled`.
 */
export function responseViewOf(stored: StoredResponse, record: JobRecord): ResponseObject {
  const base = { id: stored.id, createdAt: stored.createdAt };
  const completedAt =
    record.finishedAt !== undefined ? Math.floor(record.finishedAt / 1000) : undefined;
  switch (record.status) {
    case 'queued':
      return responseObject(stored.settings, { ...base, status: 'queued' });
    case 'active':
      return responseObject(stored.settings, { ...base, status: 'in_progress' });
    case 'completed': {
      const result = record.result;
      if (!result) return responseObject(stored.settings, { ...base, status: 'in_progress' });
      const end = responseEnd(result.finish_reason);
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
      const unreachable: never = record.status;
      return unreachable;
    }
  }
}

/** OpenAI's 404 for a response id that is unknown, expired, deleted or another tenant's. */
export function responseNotFound(responseId: string, what = 'Response'): ClientError {
  return new ClientError('not_found', `${what} with id '${responseId}' not found.`);
}
