import { CallSignal } from '../call-signal';
import { headerReader, type PostTarget } from '../http/post-json';
import type { ProviderResponse } from '../http/provider-response';
import { readServerSentEvents } from '../http/read-server-sent-events';
import type { GenerateRequest, GenerateResult, LanguageModel, StreamPart } from '../language-model';
import type { ModelTraits } from '../model-traits';
import { convertOrRefuse } from '../refuse-unsupported-parameter';
import { streamCutShort } from '../stream-cut-short';
import {
  type ConvertOpenAIChatCompletionOptions,
  convertOpenAIChatCompletion,
} from './convert-openai-chat-completion';
import { convertOpenAIUsage } from './convert-openai-usage';
import { convertToOpenAIChatRequest } from './convert-to-openai-chat-request';
import { type OpenAIChatChunkFields, OpenAIChatStreamState } from './openai-chat-stream-state';
import { mapOpenAIError } from './openai-error';
import { type OpenAIEndpoint, openAIStreamError, postOpenAI, postOpenAIWhole } from './openai-http';
import { parseOpenAIRateLimitHeaders } from './parse-openai-rate-limit-headers';

export interface OpenAILanguageModelSettings {
  /** The provider account id. */
  provider: string;
  /** Where the account's requests go and with which headers (one keep-alive pool per account). */
  endpoint: OpenAIEndpoint;
  /** Per-call timeout in milliseconds (for streams: first byte and between chunks). */
  timeoutMs: number;
}

/**
 * A chat model behind OpenAI's Chat Completions API (or Azure OpenAI's). The request and answer
 * conversions are the ones the SDK path had; the call itself goes over the lean transport
 * (`http/post-json.ts`) with the account's keep-alive pool, and the stream is parsed without fetch or web streams (the SDK's
 * fetch, web streams and request building were about a fifth of a worker's CPU per job). Error
 * answers are still the SDK's error classes (`postOpenAI`).
 */
export class OpenAILanguageModel implements LanguageModel {
  readonly provider: string;
  readonly modelId: string;
  private readonly endpoint: OpenAIEndpoint;
  private readonly target: PostTarget;
  private readonly timeoutMs: number;
  /** How an answer converts: made once per model, not per call. */
  private readonly conversion: ConvertOpenAIChatCompletionOptions;

  constructor(
    modelId: string,
    settings: OpenAILanguageModelSettings,
    /** What the catalog says of the model (whether it takes `parallel_tool_calls`). */
    private readonly traits: ModelTraits = {},
  ) {
    this.modelId = modelId;
    this.provider = settings.provider;
    this.endpoint = settings.endpoint;
    this.target = settings.endpoint.target('/chat/completions', modelId);
    this.timeoutMs = settings.timeoutMs;
    this.conversion = {
      provider: this.provider,
      modelId,
      convertUsage: (usage) => usage && convertOpenAIUsage(usage),
    };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    const call = new CallSignal(request.signal, this.timeoutMs);
    try {
      const body = Object.assign(this.requestBody(request), { stream: false as const });
      const answer = await postOpenAIWhole(this.endpoint, this.target, body, request.headers, call);
      const result = convertOpenAIChatCompletion(JSON.parse(answer.text), this.conversion);
      const rateLimit = parseOpenAIRateLimitHeaders(headerReader(answer));
      if (rateLimit) result.rateLimit = rateLimit;
      return result;
    } catch (error) {
      throw mapOpenAIError(error, { provider: this.provider, call, phase: 'request' });
    } finally {
      call.dispose();
    }
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const call = new CallSignal(request.signal, this.timeoutMs);
    let phase: 'request' | 'stream' = 'request';
    let response: ProviderResponse | undefined;
    try {
      const body = Object.assign(this.requestBody(request), {
        stream: true as const,
        stream_options: { include_usage: true },
      });
      response = await postOpenAI(this.endpoint, this.target, body, request.headers, call);
      phase = 'stream';
      const state = new OpenAIChatStreamState({ choices: request.n });
      let sawDone = false;
      for await (const data of readServerSentEvents(response)) {
        call.restartTimer();
        // As the SDK: nothing after [DONE] counts. Keep reading rather than break: breaking
        // would destroy the response, and with it the kept-alive socket, while the server is
        // about to end it cleanly.
        if (sawDone) continue;
        if (data.startsWith('[DONE]')) {
          sawDone = true;
          continue;
        }
        yield* state.accept(parseOpenAIChunk(data, response));
      }
      // A stream can end early (the server hangs up between events), so only a finish reason
      // for every answer plus usage (sent last) proves the answer is complete.
      const end = state.end();
      if (end === undefined || state.usage === undefined) {
        throw streamCutShort(call, this.provider, end ? 'usage' : 'a finish reason');
      }
      yield {
        type: 'finish',
        ...end,
        usage: convertOpenAIUsage(state.usage),
        responseModel: state.responseModel ?? this.modelId,
        responseId: state.responseId,
        ...state.serving,
      };
    } catch (error) {
      throw mapOpenAIError(error, { provider: this.provider, call, phase });
    } finally {
      call.dispose();
      if (response !== undefined && !response.readableEnded) response.destroy();
    }
  }

  /**
   * The body without `stream`, made fresh for each call: the callers add `stream` to it in place
   * (a spread copy given a new key costs ~1 µs on Node 20 and leaves an object of its own shape).
   */
  private requestBody(request: GenerateRequest) {
    return convertOrRefuse(this.provider, () => {
      const body = convertToOpenAIChatRequest(this.modelId, request, {
        maxTokensField: 'max_completion_tokens',
        takesParallelToolCalls: this.traits.parallelToolCalls !== false,
      });
      if (request.serviceTier === 'flex') body.service_tier = 'flex';
      return body;
    });
  }
}

/**
 * Parses one `data:` payload as the SDK's stream does: JSON (a SyntaxError otherwise, which maps
 * to `malformed_response`), and an `error` object in it ends the stream with the SDK's `APIError`.
 */
function parseOpenAIChunk(data: string, response: ProviderResponse): OpenAIChatChunkFields {
  const chunk = JSON.parse(data) as (OpenAIChatChunkFields & { error?: unknown }) | null;
  if (chunk?.error) throw openAIStreamError(chunk.error, response);
  return chunk as OpenAIChatChunkFields;
}
