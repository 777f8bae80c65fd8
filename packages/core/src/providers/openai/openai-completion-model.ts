import { CallSignal } from '../call-signal';
import type { CompleteRequest, CompleteResult, CompletionModel } from '../completion-model';
import { headerReader, type PostTarget, readText } from '../http/post-json';
import type { ProviderResponse } from '../http/provider-response';
import { convertOpenAICompletion } from './convert-openai-completion';
import { convertOpenAIUsage } from './convert-openai-usage';
import { convertToOpenAICompletionRequest } from './convert-to-openai-completion-request';
import { mapOpenAIError } from './openai-error';
import { type OpenAIEndpoint, postOpenAI } from './openai-http';
import type { OpenAILanguageModelSettings } from './openai-language-model';
import { parseOpenAIRateLimitHeaders } from './parse-openai-rate-limit-headers';

/**
 * A model behind OpenAI's legacy Completions API (`gpt-3.5-turbo-instruct`), over the account's
 * keep-alive pool like {@link OpenAILanguageModel}.
 */
export class OpenAICompletionModel implements CompletionModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly endpoint: OpenAIEndpoint;
  private readonly target: PostTarget;
  private readonly timeoutMs: number;

  constructor(modelId: string, settings: OpenAILanguageModelSettings) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.endpoint = settings.endpoint;
    this.target = settings.endpoint.target('/completions', modelId);
    this.timeoutMs = settings.timeoutMs;
  }

  async complete(request: CompleteRequest): Promise<CompleteResult> {
    const call = new CallSignal(request.signal, this.timeoutMs);
    let response: ProviderResponse | undefined;
    try {
      const body = { ...convertToOpenAICompletionRequest(this.modelId, request), stream: false };
      response = await postOpenAI(this.endpoint, this.target, body, request.headers, call);
      const data: unknown = JSON.parse(await readText(response));
      const result = convertOpenAICompletion(data, {
        provider: this.provider,
        modelId: this.modelId,
        promptCount: request.prompts.length,
        convertUsage: (usage) => usage && convertOpenAIUsage(usage),
      });
      const rateLimit = parseOpenAIRateLimitHeaders(headerReader(response));
      return rateLimit ? { ...result, rateLimit } : result;
    } catch (error) {
      throw mapOpenAIError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
      if (response !== undefined && !response.readableEnded) response.destroy();
    }
  }
}
