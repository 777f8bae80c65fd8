import type Anthropic from '@anthropic-ai/sdk';
import { CallSignal } from '../call-signal';
import type {
  FinishReason,
  GenerateRequest,
  GenerateResult,
  LanguageModel,
  StreamPart,
} from '../language-model';
import { ProviderError } from '../provider-error';
import type { CallPhase } from '../transport-error';
import { mapAnthropicError } from './anthropic-error';
import { convertAnthropicFinishReason } from './convert-anthropic-finish-reason';
import {
  type AnthropicUsageFields,
  convertAnthropicUsage,
  mergeAnthropicUsage,
} from './convert-anthropic-usage';
import {
  type AnthropicMessagesRequestBody,
  convertToAnthropicMessagesRequest,
} from './convert-to-anthropic-messages-request';
import { parseAnthropicRateLimitHeaders } from './parse-anthropic-rate-limit-headers';

export interface AnthropicLanguageModelSettings {
  /** The provider account id. */
  provider: string;
  /** Shared by every model of the account (one connection pool), built with `maxRetries: 0`. */
  client: Anthropic;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). */
  timeoutMs: number;
  /** `max_tokens` when a request names no limit. */
  maxTokensDefault: number;
}

/** A Claude model behind Anthropic's Messages API, through the official SDK. */
export class AnthropicLanguageModel implements LanguageModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly settings: AnthropicLanguageModelSettings;

  constructor(modelId: string, settings: AnthropicLanguageModelSettings) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.settings = settings;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    try {
      const { data, response } = await this.settings.client.messages
        .create({ ...this.requestBody(request), stream: false }, this.requestOptions(request, call))
        .withResponse();
      const result = this.convertMessage(data);
      const rateLimit = parseAnthropicRateLimitHeaders((name) => response.headers.get(name));
      return rateLimit ? { ...result, rateLimit } : result;
    } catch (error) {
      throw mapAnthropicError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
    }
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    let phase: CallPhase = 'request';
    try {
      const events = await this.settings.client.messages.create(
        { ...this.requestBody(request), stream: true },
        this.requestOptions(request, call),
      );
      phase = 'stream';
      let responseId: string | undefined;
      let responseModel = this.modelId;
      let usage: AnthropicUsageFields = {};
      let finishReason: FinishReason = 'other';
      let stopped = false;
      for await (const event of events) {
        call.restartTimer();
        switch (event.type) {
          case 'message_start':
            responseId = event.message.id;
            responseModel = event.message.model;
            usage = event.message.usage;
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta' && event.delta.text !== '') {
              yield { type: 'text-delta', delta: event.delta.text };
            }
            break;
          case 'message_delta':
            finishReason = convertAnthropicFinishReason(event.delta.stop_reason);
            usage = mergeAnthropicUsage(usage, event.usage);
            break;
          case 'message_stop':
            stopped = true;
            break;
          default:
            // content_block_start / content_block_stop carry nothing we need.
            break;
        }
      }
      // The SDK ends a stream quietly when it is aborted or the server hangs up early:
      // only `message_stop` proves the answer is complete.
      if (!stopped) {
        throw (
          call.abortError(this.provider) ??
          new ProviderError({
            code: 'stream_interrupted',
            message: `${this.provider}: the stream ended before message_stop`,
            provider: this.provider,
          })
        );
      }
      yield {
        type: 'finish',
        finishReason,
        usage: convertAnthropicUsage(usage),
        responseModel,
        responseId,
      };
    } catch (error) {
      throw mapAnthropicError(error, { provider: this.provider, call, phase });
    } finally {
      call.dispose();
    }
  }

  private requestBody(request: GenerateRequest): AnthropicMessagesRequestBody {
    return convertToAnthropicMessagesRequest(this.modelId, request, {
      maxTokensDefault: this.settings.maxTokensDefault,
    });
  }

  private requestOptions(request: GenerateRequest, call: CallSignal) {
    return { signal: call.signal, headers: request.headers, timeout: this.settings.timeoutMs };
  }

  private convertMessage(message: Anthropic.Message): Omit<GenerateResult, 'rateLimit'> {
    if (typeof message !== 'object' || message === null || !Array.isArray(message.content)) {
      throw new ProviderError({
        code: 'malformed_response',
        message: `${this.provider}: malformed message: no content`,
        provider: this.provider,
      });
    }
    let text = '';
    for (const block of message.content) {
      if (block.type === 'text') text += block.text;
    }
    return {
      text,
      finishReason: convertAnthropicFinishReason(message.stop_reason),
      usage: convertAnthropicUsage(message.usage ?? {}),
      responseModel: message.model ?? this.modelId,
      responseId: message.id,
    };
  }
}
