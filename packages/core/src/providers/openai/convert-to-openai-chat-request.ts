import type { ChatMessage, GenerateRequest } from '../language-model';

/**
 * The body of `POST /chat/completions` as both OpenAI adapters send it, minus `stream`.
 * Structurally a subset of the SDK's `ChatCompletionCreateParams`.
 */
export interface OpenAIChatRequestBody {
  model: string;
  messages: ChatMessage[];
  max_completion_tokens?: number;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  seed?: number;
}

export interface OpenAIChatRequestOptions {
  /**
   * Which field carries `maxTokens`. OpenAI deprecated `max_tokens` (reasoning models reject
   * it) in favour of `max_completion_tokens`; local servers (vLLM, Ollama, LM Studio) know
   * `max_tokens` best.
   */
  maxTokensField: 'max_completion_tokens' | 'max_tokens';
}

/** Builds the chat completion request body. Messages pass as they are: the roles already match. */
export function convertToOpenAIChatRequest(
  modelId: string,
  request: GenerateRequest,
  options: OpenAIChatRequestOptions,
): OpenAIChatRequestBody {
  const body: OpenAIChatRequestBody = { model: modelId, messages: request.messages };
  if (request.maxTokens !== undefined) body[options.maxTokensField] = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  return body;
}
