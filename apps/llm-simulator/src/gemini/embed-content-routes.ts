import { DEFAULT_EMBEDDING_DIMENSIONS, embedText } from '../embeddings/embed-text';
import { countTextTokens } from '../generation/count-tokens';
import type { ModelAnswer, ModelRoute } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import { geminiDialect } from './gemini-dialect';
import {
  type BatchEmbedContentsRequest,
  batchEmbedContentsRequestSchema,
  type EmbedContentRequest,
  embedContentRequestSchema,
} from './gemini-request-schema';

type EmbedInput = EmbedContentRequest['content'] & { outputDimensionality?: number };

function textOf(content: EmbedInput): string {
  return content.parts.map((part) => part.text).join('\n');
}

/** Embeds each input; Gemini reports no usage for embeddings, the counters still count tokens. */
function embedAnswer(
  inputs: ReadonlyArray<{ text: string; dimensions: number }>,
  render: (vectors: number[][]) => object,
): ModelAnswer {
  return {
    stream: false,
    inputCount: inputs.length,
    inputTokens: inputs.reduce((sum, input) => sum + countTextTokens(input.text), 0),
    outputTokens: 0,
    renderBody: () =>
      JSON.stringify(
        render(inputs.map((input) => Array.from(embedText(input.text, input.dimensions)))),
      ),
    renderEvents: () => {
      throw new Error('Embeddings are never streamed');
    },
  };
}

/** `POST /v1beta/models/{model}:embedContent`: `{embedding: {values}}`. */
export const embedContentRoute: ModelRoute<EmbedContentRequest> = {
  path: '/v1beta/models/{model}:embedContent',
  dialect: geminiDialect,
  requestSchema: embedContentRequestSchema,
  answer(request) {
    const input = {
      text: textOf(request.content),
      dimensions: request.outputDimensionality ?? DEFAULT_EMBEDDING_DIMENSIONS,
    };
    return embedAnswer([input], ([values]) => ({ embedding: { values } }));
  },
};

/**
 * `POST /v1beta/models/{model}:batchEmbedContents`: `{embeddings: [{values}]}`, in request
 * order. Every request must name the path's model, as `models/{model}`.
 */
export const batchEmbedContentsRoute: ModelRoute<BatchEmbedContentsRequest> = {
  path: '/v1beta/models/{model}:batchEmbedContents',
  dialect: geminiDialect,
  requestSchema: batchEmbedContentsRequestSchema,
  answer(request) {
    const inputs: Array<{ text: string; dimensions: number }> = [];
    for (const [index, item] of request.requests.entries()) {
      if (item.model !== `models/${request.model}` && item.model !== request.model)
        return refuse(
          `Model in request ${index} (${item.model}) does not match the model in the URL (models/${request.model}).`,
          `requests[${index}].model`,
        );
      inputs.push({
        text: textOf(item.content),
        dimensions: item.outputDimensionality ?? DEFAULT_EMBEDDING_DIMENSIONS,
      });
    }
    return embedAnswer(inputs, (vectors) => ({
      embeddings: vectors.map((values) => ({ values })),
    }));
  },
};
