import type { CompleteRequest } from '../completion-model';

/**
 * The body of `POST /completions` (the legacy text-completion API) as both OpenAI adapters
 * send it. Structurally a subset of the SDK's `CompletionCreateParamsNonStreaming`.
 */
export interface OpenAICompletionRequestBody {
  model: string;
  prompt: string[];
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string[];
  seed?: number;
}

/** Builds the completion request body: every prompt in one `prompt` array. */
export function convertToOpenAICompletionRequest(
  modelId: string,
  request: CompleteRequest,
): OpenAICompletionRequestBody {
  const body: OpenAICompletionRequestBody = { model: modelId, prompt: request.prompts };
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  return body;
}
