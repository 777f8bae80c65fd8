import { z } from 'zod';
import { DEFAULT_EMBEDDING_DIMENSIONS, embedText } from '../embeddings/embed-text';
import { encodeEmbeddingBase64 } from '../embeddings/encode-embedding';
import { countTextTokens, decodeTokens } from '../generation/count-tokens';
import type { ModelRoute } from '../model-call/model-route';
import { openAiDialect } from './openai-dialect';

/** Most inputs one call may carry, as OpenAI allows. */
export const MAX_INPUTS_PER_CALL = 2048;
/** Largest `dimensions` accepted. */
export const MAX_EMBEDDING_DIMENSIONS = 4096;

const tokenArraySchema = z.array(z.number().int().min(0)).min(1);

/** An embedding input as text plus its token count, whichever form it came in. */
interface EmbeddingInput {
  text: string;
  tokens: number;
}

/**
 * The body of `POST /v1/embeddings`. `input` is a string, strings, a token array or token
 * arrays (decoded with o200k); empty strings are rejected, as OpenAI does.
 */
export const embeddingRequestSchema = z.object({
  model: z.string().min(1),
  input: z
    .union([
      z.string().min(1),
      z.array(z.string().min(1)).min(1).max(MAX_INPUTS_PER_CALL),
      tokenArraySchema,
      z.array(tokenArraySchema).min(1).max(MAX_INPUTS_PER_CALL),
    ])
    .transform((input, context): EmbeddingInput[] => {
      const items: ReadonlyArray<string | number[]> =
        typeof input === 'string' ? [input] : isTokenArray(input) ? [input] : input;
      try {
        return items.map((item) =>
          typeof item === 'string'
            ? { text: item, tokens: countTextTokens(item) }
            : { text: decodeTokens(item), tokens: item.length },
        );
      } catch (error) {
        // gpt-tokenizer throws on ids outside the o200k vocabulary.
        context.addIssue({
          code: 'custom',
          message: error instanceof Error ? error.message : String(error),
        });
        return z.NEVER;
      }
    }),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).max(MAX_EMBEDDING_DIMENSIONS).optional(),
  user: z.string().optional(),
});

function isTokenArray(input: string[] | number[] | number[][]): input is number[] {
  return typeof input[0] === 'number';
}

export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

/** `POST /v1/embeddings`: deterministic hashed embeddings (see `embedText`), float or base64. */
export const embeddingsRoute: ModelRoute<EmbeddingRequest> = {
  path: '/v1/embeddings',
  dialect: openAiDialect,
  requestSchema: embeddingRequestSchema,
  answer(request) {
    const inputTokens = request.input.reduce((sum, input) => sum + input.tokens, 0);
    const dimensions = request.dimensions ?? DEFAULT_EMBEDDING_DIMENSIONS;
    const asBase64 = request.encoding_format === 'base64';
    return {
      stream: false,
      inputCount: request.input.length,
      inputTokens,
      outputTokens: 0,
      renderBody: () =>
        JSON.stringify({
          object: 'list',
          data: request.input.map((input, index) => {
            const embedding = embedText(input.text, dimensions);
            return {
              object: 'embedding',
              index,
              embedding: asBase64 ? encodeEmbeddingBase64(embedding) : Array.from(embedding),
            };
          }),
          model: request.model,
          usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
        }),
      renderEvents: () => {
        throw new Error('Embeddings are never streamed');
      },
    };
  },
};
