import { z } from 'zod';
import {
  type CompletionsLineRequest,
  completionsLineBodySchema,
  normalizeCompletionsLine,
} from '../batches/completions-line-request';

const refused = (what: string) => ({ message: `${what} is not supported by llmq` });

/**
 * A sync `POST /v1/completions` body, as OpenAI defines it. Carried: `prompt` (a string or
 * strings, one choice each), `max_tokens`, `temperature`, `top_p`, `stop`, `seed`, `stream`
 * and `stream_options.include_usage`. Refused by name (400), never dropped: `n`/`best_of`
 * other than 1, `echo`, `logprobs`, `suffix`, non-zero penalties, `logit_bias`, `user` and
 * token-array prompts, which the provider call cannot carry.
 */
export const openAICompletionsRequestSchema = completionsLineBodySchema
  .omit({
    n: true,
    best_of: true,
    echo: true,
    stream: true,
    logprobs: true,
    suffix: true,
    presence_penalty: true,
    frequency_penalty: true,
    user: true,
  })
  .extend({
    n: z.literal(1, refused('n other than 1')).nullish(),
    best_of: z.literal(1, refused('best_of other than 1')).nullish(),
    echo: z.literal(false, refused('echo')).nullish(),
    logprobs: z.null(refused('logprobs')).optional(),
    suffix: z.null(refused('suffix')).optional(),
    presence_penalty: z.literal(0, refused('presence_penalty other than 0')).nullish(),
    frequency_penalty: z.literal(0, refused('frequency_penalty other than 0')).nullish(),
    logit_bias: z.null(refused('logit_bias')).optional(),
    user: z.undefined(refused('user')).optional(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullish(),
  })
  .strict();
export type OpenAICompletionsRequest = z.infer<typeof openAICompletionsRequestSchema>;

/** A completions request, read: the model, whether to stream (and with usage), the call. */
export interface OpenAICompletionsCall {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  request: CompletionsLineRequest;
}

export function convertOpenAICompletionsRequest(
  body: OpenAICompletionsRequest,
): OpenAICompletionsCall {
  const { stream, stream_options, ...line } = body;
  return {
    model: body.model,
    stream: stream === true,
    includeUsage: stream_options?.include_usage === true,
    request: normalizeCompletionsLine({
      model: line.model,
      prompt: line.prompt,
      ...(line.max_tokens !== undefined ? { max_tokens: line.max_tokens } : {}),
      ...(line.temperature !== undefined ? { temperature: line.temperature } : {}),
      ...(line.top_p !== undefined ? { top_p: line.top_p } : {}),
      ...(line.stop !== undefined ? { stop: line.stop } : {}),
      ...(line.seed !== undefined ? { seed: line.seed } : {}),
    }),
  };
}
