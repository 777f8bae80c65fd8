import { z } from 'zod';
import {
  type EmbeddingsLineRequest,
  embeddingsLineBodySchema,
  normalizeEmbeddingsLine,
} from '../batches/embeddings-line-request';

/**
 * A sync `POST /v1/embeddings` body, as OpenAI defines it: the batch line's fields (text
 * inputs, `encoding_format` float or base64, `dimensions`), except `user`, which no embeddings
 * provider call carries: refused by name rather than dropped.
 */
export const openAIEmbeddingsRequestSchema = embeddingsLineBodySchema
  .omit({ user: true })
  .extend({ user: z.undefined({ message: 'user is not supported by llmq' }).optional() })
  .strict();
export type OpenAIEmbeddingsRequest = z.infer<typeof openAIEmbeddingsRequestSchema>;

/** The model asked for and the request the micro-batched embeddings call takes. */
export function convertOpenAIEmbeddingsRequest(body: OpenAIEmbeddingsRequest): {
  model: string;
  request: EmbeddingsLineRequest;
} {
  return { model: body.model, request: normalizeEmbeddingsLine(body) };
}
