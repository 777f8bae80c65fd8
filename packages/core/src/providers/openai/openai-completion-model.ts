import type OpenAI from 'openai';
import { CallSignal } from '../call-signal';
import type { CompleteRequest, CompleteResult, CompletionModel } from '../completion-model';
import { convertOpenAICompletion } from './convert-openai-completion';
import { convertOpenAIUsage } from './convert-openai-usage';
import { convertToOpenAICompletionRequest } from './convert-to-openai-completion-request';
import { mapOpenAIError } from './openai-error';
import type { OpenAILanguageModelSettings } from './openai-language-model';
import { parseOpenAIRateLimitHeaders } from './parse-openai-rate-limit-headers';

/** A model behind OpenAI's legacy Completions API (`gpt-3.5-turbo-instruct`), through the official SDK. */
export class OpenAICompletionModel implements CompletionModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly client: () => OpenAI;
  private readonly timeoutMs: number;

  constructor(modelId: string, settings: OpenAILanguageModelSettings) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.client = settings.client;
    this.timeoutMs = settings.timeoutMs;
  }

  async complete(request: CompleteRequest): Promise<CompleteResult> {
    const call = new CallSignal(request.signal, this.timeoutMs);
    try {
      const { data, response } = await this.client()
        .completions.create(
          { ...convertToOpenAICompletionRequest(this.modelId, request), stream: false },
          { signal: call.signal, headers: request.headers, timeout: this.timeoutMs },
        )
        .withResponse();
      const result = convertOpenAICompletion(data, {
        provider: this.provider,
        modelId: this.modelId,
        promptCount: request.prompts.length,
        convertUsage: (usage) => usage && convertOpenAIUsage(usage),
      });
      const rateLimit = parseOpenAIRateLimitHeaders((name) => response.headers.get(name));
      return rateLimit ? { ...result, rateLimit } : result;
    } catch (error) {
      throw mapOpenAIError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
    }
  }
}
