import { z } from 'zod';

/** Most inputs one embeddings request may carry, as OpenAI allows. */
export const maxEmbeddingInputs = 2048;

/**
 * The body of one `/v1/embeddings` batch line, as OpenAI defines it. Text inputs only: token
 * arrays (`[[1, 2, 3]]`) are refused, since llmq cannot know which tokenizer a provider uses.
 */
export const embeddingsLineBodySchema = z
  .object({
    model: z.string().min(1).max(200),
    input: z.union([
      z.string().min(1),
      z
        .array(
          z.string().min(1, 'inputs must be non-empty strings (token arrays are not supported)'),
        )
        .min(1)
        .max(maxEmbeddingInputs),
    ]),
    encoding_format: z.enum(['float', 'base64']).optional(),
    dimensions: z.number().int().min(1).max(65_536).optional(),
    /** Accepted and ignored, as on the chat endpoint. */
    user: z.string().max(256).optional(),
  })
  .strict();
export type EmbeddingsLineBody = z.infer<typeof embeddingsLineBodySchema>;

/** A validated embeddings line as it travels in its bulk-lane job. */
export const embeddingsLineRequestSchema = z.object({
  /** The texts to embed; the answer has one vector per text, in this order. */
  inputs: z.array(z.string()).min(1),
  /** Shorter vectors, for models that support it. */
  dimensions: z.number().int().positive().optional(),
  /** How vectors are written in the output line: JSON numbers, or base64 of float32 (OpenAI's `base64`). */
  encodingFormat: z.enum(['float', 'base64']),
});
export type EmbeddingsLineRequest = z.infer<typeof embeddingsLineRequestSchema>;

export function normalizeEmbeddingsLine(body: EmbeddingsLineBody): EmbeddingsLineRequest {
  return {
    inputs: typeof body.input === 'string' ? [body.input] : body.input,
    ...(body.dimensions !== undefined ? { dimensions: body.dimensions } : {}),
    encodingFormat: body.encoding_format ?? 'float',
  };
}
