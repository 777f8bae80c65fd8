import type Anthropic from '@anthropic-ai/sdk';
import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import { CallSignal } from '../call-signal';
import { headerReader, readText } from '../http/post-json';
import type { ProviderResponse } from '../http/provider-response';
import { readServerSentEventMessages } from '../http/read-server-sent-events';
import type { GenerateRequest, GenerateResult, LanguageModel, StreamPart } from '../language-model';
import type { ModelTraits } from '../model-traits';
import { convertOrRefuse } from '../refuse-unsupported-parameter';
import { streamCutShort } from '../stream-cut-short';
import type { CallPhase } from '../transport-error';
import { mapAnthropicError } from './anthropic-error';
import { type AnthropicEndpoint, anthropicStreamError, postAnthropic } from './anthropic-http';
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
  /** Where the account's requests go and with which headers (one keep-alive pool per account). */
  endpoint: AnthropicEndpoint;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). */
  timeoutMs: number;
  /** `max_tokens` when a request names no limit. */
  maxTokensDefault: number;
}

/**
 * A Claude model behind Anthropic's Messages API. The request and answer conversions are the
 * ones the SDK path had; the call goes over the lean transport (`http/post-json.ts`) with the
 * account's keep-alive pool and the event stream is parsed without fetch or web streams. Error answers and `error` events
 * are still the SDK's error classes (`anthropic-http.ts`).
 */
export class AnthropicLanguageModel implements LanguageModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly settings: AnthropicLanguageModelSettings;

  constructor(
    modelId: string,
    settings: AnthropicLanguageModelSettings,
    /** What the catalog says of the model: its most output, whether it thinks adaptively. */
    private readonly traits: ModelTraits = {},
  ) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.settings = settings;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    let response: ProviderResponse | undefined;
    try {
      // `stream` is set on this call's own body, not on a spread copy of it (~1 µs on Node 20,
      // and an object of its own shape).
      const body = Object.assign(this.requestBody(request), { stream: false as const });
      response = await this.post(body, request, call);
      const data = JSON.parse(await readText(response)) as Anthropic.Message;
      const result = convertAnthropicMessage(data, {
        provider: this.provider,
        modelId: this.modelId,
      });
      const rateLimit = parseAnthropicRateLimitHeaders(headerReader(response));
      if (rateLimit) result.rateLimit = rateLimit;
      return result;
    } catch (error) {
      throw mapAnthropicError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
      // A body left unread would pin the socket; drop it rather than reuse it.
      if (response !== undefined && !response.readableEnded) response.destroy();
    }
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    let phase: CallPhase = 'request';
    let response: ProviderResponse | undefined;
    try {
      const body = Object.assign(this.requestBody(request), { stream: true as const });
      response = await this.post(body, request, call);
      phase = 'stream';
      const state = new AnthropicStreamState();
      for await (const { event, data } of readServerSentEventMessages(response)) {
        call.restartTimer();
        // As the SDK's stream: pings and unnamed events carry nothing, an `error` event ends
        // the stream, every other event with data is a JSON stream event.
        if (event === 'ping' || event === null) continue;
        if (event === 'error') throw anthropicStreamError(data, response);
        if (data === '') continue;
        yield* state.accept(JSON.parse(data) as Anthropic.RawMessageStreamEvent);
      }
      // A stream can end early (the server hangs up between events): only `message_stop`
      // proves the answer is complete.
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
      if (response !== undefined && !response.readableEnded) response.destroy();
    }
  }

  private requestBody(request: GenerateRequest): AnthropicMessagesRequestBody {
    return convertOrRefuse(this.provider, () => {
      // Anthropic has no flex tier; its discount is the Message Batches API.
      if (request.serviceTier !== undefined)
        throw new UnsupportedParameterError('service_tier', this.modelId);
      return convertToAnthropicMessagesRequest(this.modelId, request, {
        maxTokensDefault: this.settings.maxTokensDefault,
        traits: this.traits,
      });
    });
  }

  private post(body: object, request: GenerateRequest, call: CallSignal) {
    return postAnthropic(this.settings.endpoint, body, request.headers, call);
  }
}
