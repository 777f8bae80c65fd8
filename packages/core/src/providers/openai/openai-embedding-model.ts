import type OpenAI from 'openai';
import { CallSignal } from '../call-signal';
import type { EmbeddingModel, EmbedRequest, EmbedResult } from '../embedding-model';
import { convertOpenAIEmbeddings } from './convert-openai-embeddings';
import { mapOpenAIError } from './openai-error';

export interface OpenAIEmbeddingModelSettings {
  /** The provider account id. */
  provider: string;
  /** The account's SDK client (shared connection pool, `maxRetries: 0`), made on first use. */
  client: () => OpenAI;
  /** Per-call timeout in milliseconds. */
  timeoutMs: number;
}

/** An embedding model behind OpenAI's Embeddings API, through the official SDK. */
export class OpenAIEmbeddingModel implements EmbeddingModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly settings: OpenAIEmbeddingModelSettings;

  constructor(modelId: string, settings: OpenAIEmbeddingModelSettings) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.settings = settings;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    try {
      const answer = await this.settings.client().embeddings.create(
        {
          model: this.modelId,
          input: request.inputs,
          // Floats, not the SDK's default base64, so every OpenAI-style server can answer.
          encoding_format: 'float',
          ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
        },
        { signal: call.signal, headers: request.headers, timeout: this.settings.timeoutMs },
      );
      return convertOpenAIEmbeddings(answer, {
        provider: this.provider,
        modelId: this.modelId,
        inputCount: request.inputs.length,
      });
    } catch (error) {
      throw mapOpenAIError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
    }
  }
}
