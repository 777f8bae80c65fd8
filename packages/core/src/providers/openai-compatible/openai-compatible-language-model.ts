import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import { CallSignal } from '../call-signal';
import type { KeepAlivePool } from '../http/keep-alive-pool';
import {
  headerReader,
  mergeHeaders,
  type PostJsonOptions,
  type PostTarget,
  postJson,
  postJsonWhole,
} from '../http/post-json';
import type { ProviderResponse } from '../http/provider-response';
import { readServerSentEvents } from '../http/read-server-sent-events';
import type { GenerateRequest, GenerateResult, LanguageModel, StreamPart } from '../language-model';
import type { ModelTraits } from '../model-traits';
import {
  type ConvertOpenAIChatCompletionOptions,
  convertOpenAIChatCompletion,
} from '../openai/convert-openai-chat-completion';
import { convertToOpenAIChatRequest } from '../openai/convert-to-openai-chat-request';
import {
  type OpenAIChatChunkFields,
  OpenAIChatStreamState,
} from '../openai/openai-chat-stream-state';
import { parseOpenAIRateLimitHeaders } from '../openai/parse-openai-rate-limit-headers';
import { ProviderError } from '../provider-error';
import { convertOrRefuse } from '../refuse-unsupported-parameter';
import { streamCutShort } from '../stream-cut-short';
import type { ToolCallIdRule } from '../tool-call-id-rules';
import type { CallPhase } from '../transport-error';
import { convertOpenAICompatibleUsage } from './convert-openai-compatible-usage';
import {
  mapOpenAICompatibleError,
  providerErrorFromResponse,
  providerErrorFromWholeAnswer,
} from './openai-compatible-error';
import {
  type RefusableParameter,
  type RenamedRequestFields,
  refuseParameters,
  renameFields,
} from './openai-compatible-presets';

export interface OpenAICompatibleLanguageModelSettings {
  /** The provider account id. */
  provider: string;
  /** Where `POST …/chat/completions` goes, from `postTarget`. */
  target: PostTarget;
  /** Headers of every request (content type, accept, authorization, configured headers). */
  headers: Record<string, string>;
  /** The account's keep-alive pool, shared by all its models. */
  agent: KeepAlivePool;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). */
  timeoutMs: number;
  /** Fields this server refuses or ignores (its preset's and the config's), refused before any call. */
  refusedParameters?: readonly RefusableParameter[];
  /** The tool call ids this server takes (default OpenAI's rule). */
  toolCallIds?: ToolCallIdRule;
  /** Fields this server takes under another name (its preset's). */
  renamedFields?: RenamedRequestFields;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A chat model on a server that speaks OpenAI's Chat Completions (vLLM, Ollama, LM Studio,
 * llama.cpp). The hot path for local models, so it skips the SDK: the lean transport
 * (`http/post-json.ts`) with a keep-alive pool, and its own JSON and server-sent-event parsing.
 */
export class OpenAICompatibleLanguageModel implements LanguageModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly settings: OpenAICompatibleLanguageModelSettings;
  /** How an answer converts: made once per model, not per call. */
  private readonly conversion: ConvertOpenAIChatCompletionOptions;

  constructor(
    modelId: string,
    settings: OpenAICompatibleLanguageModelSettings,
    /** What the catalog says of the model (whether it takes `parallel_tool_calls`). */
    private readonly traits: ModelTraits = {},
  ) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.settings = settings;
    this.conversion = {
      provider: this.provider,
      modelId,
      convertUsage: convertOpenAICompatibleUsage,
    };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    try {
      const body = JSON.stringify(this.requestBody(request));
      const answer = await postJsonWhole(this.postOptions(body, request, call));
      if (answer.statusCode >= 400) throw providerErrorFromWholeAnswer(answer, this.provider);
      const result = convertOpenAIChatCompletion(JSON.parse(answer.text), this.conversion);
      const rateLimit = parseOpenAIRateLimitHeaders(headerReader(answer));
      if (rateLimit) result.rateLimit = rateLimit;
      return result;
    } catch (error) {
      throw mapOpenAICompatibleError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
    }
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const call = new CallSignal(request.signal, this.settings.timeoutMs);
    let phase: CallPhase = 'request';
    let response: ProviderResponse | undefined;
    try {
      // The body is this call's own: `stream` is added in place, not by a spread copy.
      const body = JSON.stringify(
        Object.assign(this.requestBody(request), {
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      response = await this.post(body, request, call);
      if (response.statusCode >= 400) {
        throw await providerErrorFromResponse(response, this.provider);
      }
      phase = 'stream';
      const state = new OpenAIChatStreamState({ choices: request.n });
      let sawDone = false;
      for await (const data of readServerSentEvents(response)) {
        call.restartTimer();
        // Keep reading after [DONE] rather than break: breaking would destroy the response,
        // and with it the kept-alive socket, while the server is about to end it cleanly.
        if (sawDone) continue;
        if (data === '[DONE]') {
          sawDone = true;
          continue;
        }
        yield* state.accept(this.parseChunk(data));
      }
      // Complete means a finish reason, then either usage or the [DONE] sentinel (a server
      // that ignores include_usage still sends [DONE]). Anything less was cut short.
      const end = state.end();
      if (end === undefined || (state.usage === undefined && !sawDone)) {
        throw streamCutShort(call, this.provider, end ? '[DONE]' : 'a finish reason');
      }
      yield {
        type: 'finish',
        ...end,
        usage: convertOpenAICompatibleUsage(state.usage),
        responseModel: state.responseModel ?? this.modelId,
        responseId: state.responseId,
        ...state.serving,
      };
    } catch (error) {
      throw mapOpenAICompatibleError(error, { provider: this.provider, call, phase });
    } finally {
      call.dispose();
      if (response !== undefined && !response.readableEnded) response.destroy();
    }
  }

  private requestBody(request: GenerateRequest) {
    return convertOrRefuse(this.provider, () => {
      refuseParameters(request, this.settings.refusedParameters ?? [], this.modelId);
      // A local server has no flex tier.
      if (request.serviceTier !== undefined)
        throw new UnsupportedParameterError('service_tier', this.modelId);
      const body = convertToOpenAIChatRequest(this.modelId, request, {
        maxTokensField: 'max_tokens',
        takesParallelToolCalls:
          this.traits.parallelToolCalls !== false &&
          !this.settings.refusedParameters?.includes('parallelToolCalls'),
        ...(this.settings.toolCallIds !== undefined
          ? { toolCallIds: this.settings.toolCallIds }
          : {}),
      });
      return renameFields(body, this.settings.renamedFields);
    });
  }

  private post(
    body: string,
    request: GenerateRequest,
    call: CallSignal,
  ): Promise<ProviderResponse> {
    return postJson(this.postOptions(body, request, call));
  }

  private postOptions(body: string, request: GenerateRequest, call: CallSignal): PostJsonOptions {
    return {
      target: this.settings.target,
      body,
      headers: mergeHeaders(this.settings.headers, request.headers),
      agent: this.settings.agent,
      signal: call,
    };
  }

  /** Parses one `data:` payload; an `error` object inside the stream ends it. */
  private parseChunk(data: string): OpenAIChatChunkFields {
    const chunk: unknown = JSON.parse(data);
    if (!isObject(chunk)) {
      throw new ProviderError({
        code: 'malformed_response',
        message: `${this.provider}: a stream chunk is not a JSON object`,
        provider: this.provider,
      });
    }
    if (chunk.error !== undefined && chunk.error !== null) {
      const message = isObject(chunk.error) ? chunk.error.message : chunk.error;
      throw new ProviderError({
        code: 'stream_interrupted',
        message: `${this.provider}: the stream reported an error: ${String(message)}`,
        provider: this.provider,
      });
    }
    return chunk as OpenAIChatChunkFields;
  }
}
