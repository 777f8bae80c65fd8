import type OpenAI from 'openai';
import { CallSignal } from '../call-signal';
import type { GenerateRequest, GenerateResult, LanguageModel, StreamPart } from '../language-model';
import { convertOrRefuse } from '../refuse-unsupported-parameter';
import { streamCutShort } from '../stream-cut-short';
import { convertOpenAIChatCompletion } from './convert-openai-chat-completion';
import { convertOpenAIUsage } from './convert-openai-usage';
import { convertToOpenAIChatRequest } from './convert-to-openai-chat-request';
import { OpenAIChatStreamState } from './openai-chat-stream-state';
import { mapOpenAIError } from './openai-error';
import { parseOpenAIRateLimitHeaders } from './parse-openai-rate-limit-headers';
import { refuseSeveralStreamedChoices } from './refuse-several-choices';

export interface OpenAILanguageModelSettings {
  /** The provider account id. */
  provider: string;
  /**
   * The account's client, shared by every model of it (one connection pool), built with
   * `maxRetries: 0` on first use.
   */
  client: () => OpenAI;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). */
  timeoutMs: number;
}

/** A chat model behind OpenAI's Chat Completions API, through the official SDK. */
export class OpenAILanguageModel implements LanguageModel {
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

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const call = new CallSignal(request.signal, this.timeoutMs);
    try {
      const { data, response } = await this.client()
        .chat.completions.create(
          { ...this.requestBody(request, false), stream: false },
          { signal: call.signal, headers: request.headers, timeout: this.timeoutMs },
        )
        .withResponse();
      const result = convertOpenAIChatCompletion(data, {
        provider: this.provider,
        modelId: this.modelId,
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

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const call = new CallSignal(request.signal, this.timeoutMs);
    let phase: 'request' | 'stream' = 'request';
    try {
      const chunks = await this.client().chat.completions.create(
        {
          ...this.requestBody(request, true),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: call.signal, headers: request.headers, timeout: this.timeoutMs },
      );
      phase = 'stream';
      const state = new OpenAIChatStreamState();
      for await (const chunk of chunks) {
        call.restartTimer();
        yield* state.accept(chunk);
      }
      // The SDK ends a stream quietly when it is aborted or the server hangs up early, so
      // only a finish reason plus usage (sent last) proves the answer is complete.
      if (state.finishReason === undefined || state.usage === undefined) {
        throw streamCutShort(call, this.provider, state.finishReason ? 'usage' : 'a finish reason');
      }
      yield {
        type: 'finish',
        finishReason: state.finishReason,
        usage: convertOpenAIUsage(state.usage),
        responseModel: state.responseModel ?? this.modelId,
        responseId: state.responseId,
      };
    } catch (error) {
      throw mapOpenAIError(error, { provider: this.provider, call, phase });
    } finally {
      call.dispose();
    }
  }

  private requestBody(request: GenerateRequest, streamed: boolean) {
    return convertOrRefuse(this.provider, () => {
      if (streamed) refuseSeveralStreamedChoices(request, this.modelId);
      const body = convertToOpenAIChatRequest(this.modelId, request, {
        maxTokensField: 'max_completion_tokens',
      });
      return request.serviceTier === 'flex' ? { ...body, service_tier: 'flex' as const } : body;
    });
  }
}
