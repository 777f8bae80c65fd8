import { z } from 'zod';

/** Most prompts one completions request may carry. */
export const maxCompletionPrompts = 2048;

const refused = (what: string) => ({ message: `${what} is not supported in llmq batches` });

/**
 * The body of one `/v1/completions` batch line, as OpenAI defines it. Sampling fields llmq
 * cannot honour but that change nothing essential (`user`, penalties) are accepted and
 * ignored, as on the chat endpoint; features it does not run (`n`/`best_of` above 1, `echo`,
 * `logprobs`, `suffix`, `logit_bias`, streaming, token-array prompts) are refused.
 */
export const completionsLineBodySchema = z
  .object({
    model: z.string().min(1).max(200),
    prompt: z.union([
      z.string().min(1),
      z
        .array(
          z.string().min(1, 'prompts must be non-empty strings (token arrays are not supported)'),
        )
        .min(1)
        .max(maxCompletionPrompts),
    ]),
    max_tokens: z.number().int().min(1).max(1_000_000).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    stop: z.union([z.string().min(1), z.array(z.string().min(1)).min(1).max(4)]).optional(),
    seed: z.number().int().optional(),
    n: z.literal(1, refused('n other than 1')).optional(),
    best_of: z.literal(1, refused('best_of other than 1')).optional(),
    echo: z.literal(false, refused('echo')).optional(),
    stream: z.literal(false, refused('stream')).optional(),
    logprobs: z.null(refused('logprobs')).optional(),
    suffix: z.null(refused('suffix')).optional(),
    presence_penalty: z.number().min(-2).max(2).optional(),
    frequency_penalty: z.number().min(-2).max(2).optional(),
    user: z.string().max(256).optional(),
  })
  .strict();
export type CompletionsLineBody = z.infer<typeof completionsLineBodySchema>;

/** A validated completions line as it travels in its bulk-lane job. */
export const completionsLineRequestSchema = z.object({
  /** The prompts; the answer has one choice per prompt, `index` in this order. */
  prompts: z.array(z.string()).min(1),
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().optional(),
  topP: z.number().optional(),
  stop: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
});
export type CompletionsLineRequest = z.infer<typeof completionsLineRequestSchema>;

export function normalizeCompletionsLine(body: CompletionsLineBody): CompletionsLineRequest {
  const request: CompletionsLineRequest = {
    prompts: typeof body.prompt === 'string' ? [body.prompt] : body.prompt,
  };
  if (body.max_tokens !== undefined) request.maxTokens = body.max_tokens;
  if (body.temperature !== undefined) request.temperature = body.temperature;
  if (body.top_p !== undefined) request.topP = body.top_p;
  if (body.stop !== undefined)
    request.stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
  if (body.seed !== undefined) request.seed = body.seed;
  return request;
}
