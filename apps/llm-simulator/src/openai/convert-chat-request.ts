import type { ChatRequest, ResponseFormat, ToolChoice } from '../chat/chat-request';
import { TOKENS_PER_REPLY } from '../generation/count-prompt-tokens';
import { countTextTokens } from '../generation/count-tokens';
import { replySeedMaterial } from '../generation/reply-seed';
import type { RefusedRequest } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import type { ModelCapabilities } from '../profiles/model-profile';
import { FIVE_MINUTES_MS, ONE_DAY_MS } from '../prompt-cache/prompt-cache';
import { PromptPrefix } from '../prompt-cache/prompt-prefix';
import type { ChatCompletionRequest } from './chat-completions-request-schema';
import { checkChatRequest } from './check-chat-request';
import { convertChatMessages } from './convert-chat-messages';
import { stopSequencesOf } from './openai-sampling-schema';

/** A checked chat completion request in provider-neutral form, with its prompt tokens. */
export interface ConvertedChatCompletion {
  chat: ChatRequest;
  inputTokens: number;
  /** The prompt walked for the cache (tools, then every message), scoped by `prompt_cache_key`. */
  prefix: PromptPrefix;
}

/** Checks `request` as OpenAI would and converts it; a refusal when OpenAI would answer 400. */
export function convertChatCompletionRequest(
  request: ChatCompletionRequest,
  capabilities: ModelCapabilities,
): ConvertedChatCompletion | RefusedRequest {
  const checked = checkChatRequest(request, capabilities);
  if (checked !== undefined) return checked;
  const prefix = new PromptPrefix(
    `openai\u0000${request.model}\u0000${request.prompt_cache_key ?? ''}`,
    request.prompt_cache_retention === '24h' ? ONE_DAY_MS : FIVE_MINUTES_MS,
  );
  const toolTokens =
    request.tools === undefined ? 0 : countTextTokens(JSON.stringify(request.tools));
  prefix.add(request.tools ?? null, toolTokens);
  const messages = convertChatMessages(request.messages, capabilities, prefix);
  if ('refused' in messages) return messages;
  const responseFormat = responseFormatOf(request);
  if (
    responseFormat.type === 'json_object' &&
    !messages.conversation.some(([, text]) => /json/i.test(text))
  )
    return refuse(
      "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
      'messages',
    );
  const tools = (request.tools ?? []).map((tool) => ({
    name: tool.function.name,
    inputSchema: tool.function.parameters ?? { type: 'object', properties: {} },
  }));
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? null;
  const stopSequences = stopSequencesOf(request.stop);
  const baseSeed = replySeedMaterial({
    model: request.model,
    conversation: messages.conversation,
    temperature: request.temperature ?? null,
    topP: request.top_p ?? null,
    seed: request.seed ?? request.random_seed ?? null,
    maxTokens,
    stopSequences,
  });
  // Tools and formats join the seed only when present, so a plain chat gets the same reply in
  // either wire format.
  const extras = [request.tools, request.response_format, request.verbosity].filter(
    (field) => field != null,
  );
  const chat: ChatRequest = {
    model: request.model,
    conversation: messages.conversation,
    lastTurn: messages.lastTurn,
    tools,
    toolChoice: toolChoiceOf(request.tool_choice),
    parallelToolCalls: request.parallel_tool_calls ?? true,
    responseFormat,
    maxTokens,
    stopSequences,
    seedMaterial: extras.length === 0 ? baseSeed : `${baseSeed}\u0000${JSON.stringify(extras)}`,
  };
  const responseFormatTokens =
    request.response_format === undefined
      ? 0
      : countTextTokens(JSON.stringify(request.response_format));
  return {
    chat,
    inputTokens:
      // The prefix holds the tools and every message with its media, each counted once.
      TOKENS_PER_REPLY + prefix.tokens + responseFormatTokens,
    prefix,
  };
}

function toolChoiceOf(choice: ChatCompletionRequest['tool_choice']): ToolChoice {
  if (choice === undefined || choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'required' };
  return { type: 'tool', name: choice.function.name };
}

function responseFormatOf(request: ChatCompletionRequest): ResponseFormat {
  const format = request.response_format;
  if (format === undefined || format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json_object' };
  return {
    type: 'json_schema',
    schema: format.json_schema.schema ?? { type: 'object', properties: {} },
    param: 'response_format',
  };
}
