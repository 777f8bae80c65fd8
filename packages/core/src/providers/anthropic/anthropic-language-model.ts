import type Anthropic from '@anthropic-ai/sdk';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import { CallSignal } from '../call-signal';
import type { GenerateRequest, GenerateResult, LanguageModel, StreamPart } from '../language-model';
import { convertOrRefuse } from '../refuse-unsupported-parameter';
import { streamCutShort } from '../stream-cut-short';
import type { CallPhase } from '../transport-error';
import { mapAnthropicError } from './anthropic-error';
import { AnthropicStreamState } from './anthropic-stream-state';
import { convertAnthropicMessage } from './convert-anthropic-message';
import { convertAnthropicUsage } from './convert-anthropic-usage';
import {
  type AnthropicMessagesRequestBody,
  convertToAnthropicMessagesRequest,
} from './convert-to-anthropic-messages-request';
import { parseAnthropicRateLimitHeaders } from './parse-anthropic-rate-limit-headers';

export interface AnthropicLanguageModelSettings {
  /** The provider account id. */
  provider: string;
  /**
   * The account's client, shared by every model of it (one connection pool), built with
   * `maxRetries: 0` on first use.
   */
  client: () => Anthropic;
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
      const { data, response } = await this.settings
        .client()
        .messages.create(
          { ...this.requestBody(request), stream: false },
          this.requestOptions(request, call),
        )
        .withResponse();
      const result = convertAnthropicMessage(data, {
        provider: this.provider,
        modelId: this.modelId,
      });
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
      const events = await this.settings
        .client()
        .messages.create(
          { ...this.requestBody(request), stream: true },
          this.requestOptions(request, call),
        );
      phase = 'stream';
      const state = new AnthropicStreamState();
      for await (const event of events) {
        call.restartTimer();
        yield* state.accept(event);
      }
      // The SDK ends a stream quietly when it is aborted or the server hangs up early:
      // only `message_stop` proves the answer is complete.
      if (!state.stopped) {
        throw streamCutShort(call, this.provider, 'message_stop');
      }
      const finish: StreamPart = {
        type: 'finish',
        finishReason: state.finishReason,
        usage: convertAnthropicUsage(state.usage),
        responseModel: state.responseModel ?? this.modelId,
        responseId: state.responseId,
      };
      if (state.stopSequence !== undefined) finish.stopSequence = state.stopSequence;
      yield finish;
    } catch (error) {
      throw mapAnthropicError(error, { provider: this.provider, call, phase });
    } finally {
      call.dispose();
    }
  }

  private requestBody(request: GenerateRequest): AnthropicMessagesRequestBody {
    return convertOrRefuse(this.provider, () => {
      // Anthropic has no flex tier; its discount is the Message Batches API.
      if (request.serviceTier !== undefined)
        throw new UnsupportedParameterError('service_tier', this.modelId);
      return convertToAnthropicMessagesRequest(this.modelId, request, {
        maxTokensDefault: this.settings.maxTokensDefault,
      });
    });
  }

  private requestOptions(request: GenerateRequest, call: CallSignal) {
    return { signal: call.signal, headers: request.headers, timeout: this.settings.timeoutMs };
  }
}
