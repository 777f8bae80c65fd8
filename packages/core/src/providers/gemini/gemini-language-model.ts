import { CallSignal } from '../call-signal';
import type { GenerateRequest, GenerateResult, LanguageModel, StreamPart } from '../language-model';
import { convertOrRefuse } from '../refuse-unsupported-parameter';
import { streamCutShort } from '../stream-cut-short';
import { providerErrorFromTransport } from '../transport-error';
import { convertGeminiResponse } from './convert-gemini-response';
import { convertGeminiUsage } from './convert-gemini-usage';
import { convertToGeminiRequest, type GeminiRequest } from './convert-to-gemini-request';
import { mapGeminiError } from './gemini-error';
import type { GenerateContentConfig, GoogleGenAIClient } from './gemini-sdk';
import { GeminiStreamState } from './gemini-stream-state';

export interface GeminiModelSettings {
  /** The provider account id. */
  provider: string;
  /** Shared by every model of the account, built without SDK retries on first use. */
  client: () => GoogleGenAIClient;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). */
  timeoutMs: number;
}

/** A chat model behind the Gemini API (`generateContent`), through Google's official SDK. */
export class GeminiLanguageModel implements LanguageModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly settings: GeminiModelSettings;

  constructor(modelId: string, settings: GeminiModelSettings) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.settings = settings;
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const body = this.requestBody(request);
    // An account's first call loads the SDK: not the provider's time, so before the timer.
    const client = this.client();
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    try {
      const response = await client.models.generateContent({
        model: this.modelId,
        contents: body.contents,
        config: callConfig(body, call, request),
      });
      return convertGeminiResponse(response, { provider: this.provider, modelId: this.modelId });
    } catch (error) {
      throw mapGeminiError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
    }
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const body = this.requestBody(request);
    const client = this.client();
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    let phase: 'request' | 'stream' = 'request';
    try {
      const chunks = await client.models.generateContentStream({
        model: this.modelId,
        contents: body.contents,
        config: callConfig(body, call, request),
      });
      phase = 'stream';
      const state = new GeminiStreamState();
      for await (const chunk of chunks) {
        call.restartTimer();
        yield* state.accept(chunk);
      }
      // Only a finish reason plus usage proves the answer is complete: a stream cut between
      // two events ends quietly.
      if (state.finishReason === undefined || state.usage === undefined) {
        throw streamCutShort(call, this.provider, state.finishReason ? 'usage' : 'a finish reason');
      }
      yield {
        type: 'finish',
        finishReason: state.finishReason,
        usage: convertGeminiUsage(state.usage),
        responseModel: state.responseModel ?? this.modelId,
        responseId: state.responseId,
      };
    } catch (error) {
      throw mapGeminiError(error, { provider: this.provider, call, phase });
    } finally {
      call.dispose();
    }
  }

  /**
   * The account's client, made (and the SDK loaded) on its first call. An SDK that fails to
   * load or a client constructor that throws is this call's ProviderError, as any failure
   * without an HTTP answer is (`mapGeminiError` gives the same for it), never a raw error.
   */
  private client(): GoogleGenAIClient {
    try {
      return this.settings.client();
    } catch (error) {
      throw providerErrorFromTransport(error, this.provider, 'request');
    }
  }

  private requestBody(request: GenerateRequest): GeminiRequest {
    return convertOrRefuse(this.provider, () => convertToGeminiRequest(this.modelId, request));
  }
}

/** The request's config plus this call's signal and headers. */
function callConfig(
  body: GeminiRequest,
  call: CallSignal,
  request: GenerateRequest,
): GenerateContentConfig {
  return {
    ...body.config,
    abortSignal: call.signal,
    ...(request.headers === undefined ? {} : { httpOptions: { headers: request.headers } }),
  };
}
