import { CallSignal } from '../call-signal';
import type { EmbeddingModel, EmbedRequest, EmbedResult } from '../embedding-model';
import { type PostTarget, readText } from '../http/post-json';
import type { ProviderResponse } from '../http/provider-response';
import { convertOpenAIEmbeddings, type OpenAIEmbeddingsFields } from './convert-openai-embeddings';
import { mapOpenAIError } from './openai-error';
import { type OpenAIEndpoint, postOpenAI } from './openai-http';

export interface OpenAIEmbeddingModelSettings {
  /** The provider account id. */
  provider: string;
  /** Where the account's requests go and with which headers (one keep-alive pool per account). */
  endpoint: OpenAIEndpoint;
  /** Per-call timeout in milliseconds. */
  timeoutMs: number;
}

/**
 * An embedding model behind OpenAI's Embeddings API, over the account's keep-alive pool like
 * {@link OpenAILanguageModel}.
 */
export class OpenAIEmbeddingModel implements EmbeddingModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly settings: OpenAIEmbeddingModelSettings;
  private readonly target: PostTarget;

  constructor(modelId: string, settings: OpenAIEmbeddingModelSettings) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.settings = settings;
    this.target = settings.endpoint.target('/embeddings', modelId);
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    let response: ProviderResponse | undefined;
    try {
      const body = {
        model: this.modelId,
        input: request.inputs,
        // Floats, not base64 (the SDK's default), so every OpenAI-style server can answer.
        encoding_format: 'float',
        ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
      };
      response = await postOpenAI(this.settings.endpoint, this.target, body, request.headers, call);
      const answer = JSON.parse(await readText(response)) as OpenAIEmbeddingsFields;
      return convertOpenAIEmbeddings(answer, {
        provider: this.provider,
        modelId: this.modelId,
        inputCount: request.inputs.length,
      });
    } catch (error) {
      throw mapOpenAIError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
      if (response !== undefined && !response.readableEnded) response.destroy();
    }
  }
}
