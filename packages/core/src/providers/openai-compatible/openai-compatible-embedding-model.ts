import { CallSignal } from '../call-signal';
import type { EmbeddingModel, EmbedRequest, EmbedResult } from '../embedding-model';
import type { KeepAlivePool } from '../http/keep-alive-pool';
import { mergeHeaders, type PostTarget, postJson, readText } from '../http/post-json';
import type { ProviderResponse } from '../http/provider-response';
import {
  convertOpenAIEmbeddings,
  type OpenAIEmbeddingsFields,
} from '../openai/convert-openai-embeddings';
import { mapOpenAICompatibleError, providerErrorFromResponse } from './openai-compatible-error';

export interface OpenAICompatibleEmbeddingModelSettings {
  /** The provider account id. */
  provider: string;
  /** Where `POST …/embeddings` goes, from `postTarget`. */
  target: PostTarget;
  /** Headers of every request (content type, accept, authorization, configured headers). */
  headers: Record<string, string>;
  /** The account's keep-alive pool, shared with its chat models. */
  agent: KeepAlivePool;
  /** Per-call timeout in milliseconds. */
  timeoutMs: number;
}

/** An embedding model on a server that speaks OpenAI's `/v1/embeddings` (vLLM, Ollama, TEI). */
export class OpenAICompatibleEmbeddingModel implements EmbeddingModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly settings: OpenAICompatibleEmbeddingModelSettings;

  constructor(modelId: string, settings: OpenAICompatibleEmbeddingModelSettings) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.settings = settings;
  }

  async embed(request: EmbedRequest): Promise<EmbedResult> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    let response: ProviderResponse | undefined;
    try {
      const body = JSON.stringify({
        model: this.modelId,
        input: request.inputs,
        encoding_format: 'float',
        ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
      });
      response = await postJson({
        target: this.settings.target,
        body,
        headers: mergeHeaders(this.settings.headers, request.headers),
        agent: this.settings.agent,
        signal: call,
      });
      if (response.statusCode >= 400) {
        throw await providerErrorFromResponse(response, this.provider);
      }
      const answer = JSON.parse(await readText(response)) as OpenAIEmbeddingsFields;
      return convertOpenAIEmbeddings(answer, {
        provider: this.provider,
        modelId: this.modelId,
        inputCount: request.inputs.length,
      });
    } catch (error) {
      throw mapOpenAICompatibleError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
      if (response !== undefined && !response.readableEnded) response.destroy();
    }
  }
}
