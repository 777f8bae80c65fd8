/**
 * A client's output limit over the routed model's most, answered as the provider answers it:
 * the one refusal the compatible endpoints (`apps/api`'s error dialects) and the batch lines
 * (OpenAI Batch files, Anthropic Message Batch results) say in the provider's words, since
 * clients match those words to lower their limit.
 */

/** A client's output limit over the routed model's most, as routing refuses it. */
export interface OutputLimitRefusal {
  /** The limit the client asked for. */
  requested: number;
  /** The model's most output tokens. */
  most: number;
  /** The catalog id of the model (what Anthropic names: the model id, not an alias). */
  model: string;
}

/** The OpenAI field a client's output limit came in. */
export type OpenAIOutputLimitField = 'max_tokens' | 'max_completion_tokens' | 'max_output_tokens';

/** The HTTP status both providers refuse an output limit with. */
export const outputLimitStatus = 400;

/**
 * The refusal of a client's output limit over the routed model's most, read from routing's
 * `context_window_exceeded` (a `ClientError`, or a failed route: its `details.parameter` is
 * `max_tokens`, with the limit, the most and the model); undefined for any other error.
 */
export function outputLimitRefusalOf(error: {
  code: string;
  details?: unknown;
}): OutputLimitRefusal | undefined {
  if (error.code !== 'context_window_exceeded') return undefined;
  const details = error.details as
    | { parameter?: unknown; max_tokens?: unknown; max_output_tokens?: unknown; model?: unknown }
    | undefined;
  if (
    details?.parameter !== 'max_tokens' ||
    typeof details.max_tokens !== 'number' ||
    typeof details.max_output_tokens !== 'number' ||
    typeof details.model !== 'string'
  )
    return undefined;
  return { requested: details.max_tokens, most: details.max_output_tokens, model: details.model };
}

/**
 * The body of the provider's 400 ({@link outputLimitStatus}) for an output limit over the
 * model's most (no llmq `code` or `details`: the SDKs and the clients' own checks read the
 * provider's fields):
 * - OpenAI: `invalid_request_error` naming the field the client sent in `param`, code
 *   `invalid_value` (OpenAI's code since 2025; earlier answers had null), and OpenAI's sentence.
 * - Anthropic: `invalid_request_error` with Anthropic's sentence, naming the model.
 */
export function outputLimitAnswer(
  { requested, most, model }: OutputLimitRefusal,
  dialect: 'openai' | 'anthropic',
  field: OpenAIOutputLimitField = 'max_tokens',
): Record<string, unknown> {
  if (dialect === 'anthropic') {
    return {
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message: `max_tokens: ${requested} > ${most}, which is the maximum allowed number of output tokens for ${model}`,
      },
    };
  }
  return {
    error: {
      message: `${field} is too large: ${requested}. This model supports at most ${most} completion tokens, whereas you provided ${requested}.`,
      type: 'invalid_request_error',
      param: field,
      code: 'invalid_value',
    },
  };
}

/**
 * The output-limit field an OpenAI client sent in a request body: `max_output_tokens`
 * (Responses), else `max_completion_tokens`, else `max_tokens` (a chat request with both is
 * refused before it is routed, see `openaiChatMaxTokens`).
 */
export function openaiOutputLimitField(requestBody: unknown): OpenAIOutputLimitField {
  const body = (
    typeof requestBody === 'object' && requestBody !== null ? requestBody : {}
  ) as Record<string, unknown>;
  if (typeof body.max_output_tokens === 'number') return 'max_output_tokens';
  if (typeof body.max_completion_tokens === 'number') return 'max_completion_tokens';
  return 'max_tokens';
}
