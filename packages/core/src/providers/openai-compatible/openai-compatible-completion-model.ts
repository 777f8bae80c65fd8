import { CallSignal } from '../call-signal';
import type { CompleteRequest, CompleteResult, CompletionModel } from '../completion-model';
import type { KeepAlivePool } from '../http/keep-alive-pool';
import { headerReader, mergeHeaders, type PostTarget, postJson, readText } from '../http/post-json';
import type { ProviderResponse } from '../http/provider-response';
import { convertOpenAICompletion } from '../openai/convert-openai-completion';
import { convertToOpenAICompletionRequest } from '../openai/convert-to-openai-completion-request';
import { parseOpenAIRateLimitHeaders } from '../openai/parse-openai-rate-limit-headers';
import { convertOpenAICompatibleUsage } from './convert-openai-compatible-usage';
import { mapOpenAICompatibleError, providerErrorFromResponse } from './openai-compatible-error';

export interface OpenAICompatibleCompletionModelSettings {
  /** The provider account id. */
  provider: string;
  /** Where `POST …/completions` goes, from `postTarget`. */
  target: PostTarget;
  /** Headers of every request (content type, accept, authorization, configured headers). */
  headers: Record<string, string>;
  /** The account's keep-alive pool, shared by all its models. */
  agent: KeepAlivePool;
  /** Per-call timeout in milliseconds. */
  timeoutMs: number;
}

/**
 * A text-completion model on a server that speaks OpenAI's Completions API (vLLM,
 * llama.cpp, LM Studio): the lean transport with the provider's keep-alive pool, like its chat
 * model.
 */
export class OpenAICompatibleCompletionModel implements CompletionModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly settings: OpenAICompatibleCompletionModelSettings;

  constructor(modelId: string, settings: OpenAICompatibleCompletionModelSettings) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.settings = settings;
  }

  async complete(request: CompleteRequest): Promise<CompleteResult> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    let response: ProviderResponse | undefined;
    try {
      const body = JSON.stringify(convertToOpenAICompletionRequest(this.modelId, request));
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
      const answer: unknown = JSON.parse(await readText(response));
      const result = convertOpenAICompletion(answer, {
        provider: this.provider,
        modelId: this.modelId,
        promptCount: request.prompts.length,
        convertUsage: convertOpenAICompatibleUsage,
      });
      const rateLimit = parseOpenAIRateLimitHeaders(headerReader(response));
      return rateLimit ? { ...result, rateLimit } : result;
    } catch (error) {
      throw mapOpenAICompatibleError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
      // A body left unread would pin the socket; drop it rather than reuse it.
      if (response !== undefined && !response.readableEnded) response.destroy();
    }
  }
}
