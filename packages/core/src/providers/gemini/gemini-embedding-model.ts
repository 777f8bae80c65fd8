import { countTextTokens } from '@llmq/tokenizer';
import { CallSignal } from '../call-signal';
import type { EmbeddingModel, EmbedRequest, EmbedResult } from '../embedding-model';
import { ProviderError } from '../provider-error';
import { mapGeminiError } from './gemini-error';
import type { GeminiModelSettings } from './gemini-language-model';

/**
 * An embedding model behind the Gemini API, through Google's official SDK (which sends every
 * input in one `batchEmbedContents` call).
 *
 * The Gemini API reports no token usage for embeddings, so `usage.inputTokens` is llmq's own
 * o200k count of the inputs: an approximation of what Google bills.
 */
export class GeminiEmbeddingModel implements EmbeddingModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly settings: GeminiModelSettings;

  constructor(modelId: string, settings: GeminiModelSettings) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.settings = settings;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    try {
      const response = await this.settings.client().models.embedContent({
        model: this.modelId,
        contents: request.inputs,
        config: {
          abortSignal: call.signal,
          ...(request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions }),
          ...(request.headers === undefined ? {} : { httpOptions: { headers: request.headers } }),
        },
      });
      const embeddings = (response.embeddings ?? []).map((embedding) => embedding.values ?? []);
      if (embeddings.length !== request.inputs.length) {
        throw new ProviderError({
          code: 'malformed_response',
          message: `${this.provider}: ${embeddings.length} embeddings for ${request.inputs.length} inputs`,
          provider: this.provider,
        });
      }
      return {
        embeddings,
        usage: {
          inputTokens: request.inputs.reduce((sum, input) => sum + countTextTokens(input), 0),
        },
        responseModel: this.modelId,
      };
    } catch (error) {
      throw mapGeminiError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
    }
  }
}
