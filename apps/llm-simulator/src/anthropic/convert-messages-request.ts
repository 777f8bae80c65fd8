import type { ChatRequest, ResponseFormat, ToolChoice } from '../chat/chat-request';
import { messageFramingTokens, TOKENS_PER_REPLY } from '../generation/count-prompt-tokens';
import { countTextTokens } from '../generation/count-tokens';
import { replySeedMaterial } from '../generation/reply-seed';
import type { RefusedRequest } from '../model-call/model-route';
import type { ModelCapabilities } from '../profiles/model-profile';
import { FIVE_MINUTES_MS } from '../prompt-cache/prompt-cache';
import { PromptPrefix } from '../prompt-cache/prompt-prefix';
import { cacheTtlMs, checkTtlOrder } from './cache-ttl';
import { checkMessagesRequest } from './check-messages-request';
import { convertAnthropicMessages } from './convert-anthropic-messages';
import type { MessagesRequest } from './messages-request-schema';

/** A checked Messages request in provider-neutral form, with its prompt tokens. */
export interface ConvertedMessagesRequest {
  chat: ChatRequest;
  inputTokens: number;
  /** The prompt walked for the cache: tools, system, messages, with `cache_control` breakpoints. */
  prefix: PromptPrefix;
}

/** Checks `request` as Anthropic would and converts it; a refusal when Anthropic would answer 400. */
export function convertMessagesRequest(
  request: MessagesRequest,
  capabilities: ModelCapabilities,
): ConvertedMessagesRequest | RefusedRequest {
  const checked = checkMessagesRequest(request, capabilities);
  if (checked !== undefined) return checked;
  const prefix = new PromptPrefix(request.model, FIVE_MINUTES_MS);
  for (const tool of request.tools ?? []) {
    prefix.add(tool, countTextTokens(JSON.stringify(tool)));
    if (tool.cache_control != null) prefix.markBreakpoint(cacheTtlMs(tool.cache_control));
  }
  const systemBlocks =
    typeof request.system === 'string'
      ? [{ type: 'text' as const, text: request.system }]
      : (request.system ?? []);
  if (systemBlocks.length > 0) prefix.add(null, messageFramingTokens('system'));
  for (const block of systemBlocks) {
    prefix.add(block, countTextTokens(block.text));
    if ('cache_control' in block && block.cache_control != null)
      prefix.markBreakpoint(cacheTtlMs(block.cache_control));
  }
  const messages = convertAnthropicMessages(request.messages, capabilities, prefix);
  if ('refused' in messages) return messages;
  const ttlOrder = checkTtlOrder(prefix.breakpointTtls);
  if (ttlOrder !== undefined) return ttlOrder;
  const conversation =
    request.system === undefined
      ? messages.conversation
      : [
          ['system', systemBlocks.map((block) => block.text).join('\n')] as const,
          ...messages.conversation,
        ];
  const stopSequences = request.stop_sequences ?? [];
  const baseSeed = replySeedMaterial({
    model: request.model,
    conversation,
    temperature: request.temperature ?? null,
    topP: request.top_p ?? null,
    seed: null,
    maxTokens: request.max_tokens,
    stopSequences,
  });
  const choice = request.tool_choice;
  const extras = [request.tools, request.output_config?.format].filter((field) => field != null);
  const chat: ChatRequest = {
    model: request.model,
    conversation,
    lastTurn: messages.lastTurn,
    tools: (request.tools ?? []).map((tool) => ({
      name: tool.name,
      inputSchema: tool.input_schema,
    })),
    toolChoice: toolChoiceOf(choice),
    parallelToolCalls: !(
      choice !== undefined &&
      'disable_parallel_tool_use' in choice &&
      choice.disable_parallel_tool_use === true
    ),
    responseFormat: responseFormatOf(request),
    maxTokens: request.max_tokens,
    stopSequences,
    // Tools and formats join the seed only when present, so a plain chat gets the same reply
    // in either format.
    seedMaterial: extras.length === 0 ? baseSeed : `${baseSeed}\u0000${JSON.stringify(extras)}`,
  };
  const format = request.output_config?.format;
  // Anthropic puts the schema into the prompt, so it costs input tokens.
  const formatTokens = format == null ? 0 : countTextTokens(JSON.stringify(format));
  return {
    chat,
    // The prefix holds the tools, the system prompt and every block, each counted once.
    inputTokens: TOKENS_PER_REPLY + prefix.tokens + formatTokens,
    prefix,
  };
}

function responseFormatOf(request: MessagesRequest): ResponseFormat {
  const format = request.output_config?.format;
  if (format == null) return { type: 'text' };
  return { type: 'json_schema', schema: format.schema, param: 'output_config.format' };
}

function toolChoiceOf(choice: MessagesRequest['tool_choice']): ToolChoice {
  switch (choice?.type) {
    case undefined:
    case 'auto':
      return { type: 'auto' };
    case 'none':
      return { type: 'none' };
    case 'any':
      return { type: 'required' };
    case 'tool':
      return { type: 'tool', name: choice.name };
    default: {
      const unexpected: never = choice;
      throw new Error(`Unknown tool choice ${String(unexpected)}`);
    }
  }
}
