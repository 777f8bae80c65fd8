import { ClientError } from '../../errors/client-error';

/**
 * OpenAI's words for a chat request that sends both output limits: its 400
 * `invalid_request_error`, code `invalid_parameter_combination`, `param` `max_tokens`.
 */
export const bothMaxTokensMessage =
  "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.";

/** A chat request's output limit and the field it came in. */
export interface OpenAIChatMaxTokens<Value> {
  maxTokens: Value;
  field: 'max_tokens' | 'max_completion_tokens';
}

/**
 * The output limit of an OpenAI chat completion request, read as OpenAI reads it: from
 * `max_completion_tokens` or its older name `max_tokens` (null is "not set"); undefined when
 * neither is set. Both set is refused, as OpenAI refuses it (a `ClientError`
 * `invalid_parameter_combination` naming `max_tokens`, in OpenAI's words): the sync endpoint
 * answers it, a batch line is refused with it at validation. The one reading of the two
 * fields, for `POST /v1/chat/completions` and chat batch lines alike.
 */
export function openaiChatMaxTokens<Value>(body: {
  max_tokens?: Value | null;
  max_completion_tokens?: Value | null;
}): OpenAIChatMaxTokens<Value> | undefined {
  const { max_tokens: maxTokens, max_completion_tokens: maxCompletionTokens } = body;
  if (maxCompletionTokens != null) {
    if (maxTokens != null)
      throw new ClientError('invalid_parameter_combination', bothMaxTokensMessage, {
        parameter: 'max_tokens',
      });
    return { maxTokens: maxCompletionTokens, field: 'max_completion_tokens' };
  }
  return maxTokens != null ? { maxTokens, field: 'max_tokens' } : undefined;
}
