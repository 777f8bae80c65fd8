import type { ChatRequest, ToolChoice } from '../chat/chat-request';
import { messageFramingTokens, TOKENS_PER_REPLY } from '../generation/count-prompt-tokens';
import { countTextTokens } from '../generation/count-tokens';
import { replySeedMaterial } from '../generation/reply-seed';
import type { JsonSchema } from '../json-schema/generate-json-value';
import type { RefusedRequest } from '../model-call/model-route';
import type { ModelCapabilities } from '../profiles/model-profile';
import { PromptPrefix } from '../prompt-cache/prompt-prefix';
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
  const prefix = new PromptPrefix(request.model);
  for (const tool of request.tools ?? []) {
    prefix.add(tool, countTextTokens(JSON.stringify(tool)));
    if (tool.cache_control != null) prefix.markBreakpoint();
  }
  const systemBlocks =
    typeof request.system === 'string'
      ? [{ type: 'text' as const, text: request.system }]
      : (request.system ?? []);
  if (systemBlocks.length > 0) prefix.add(null, messageFramingTokens('system'));
  for (const block of systemBlocks) {
    prefix.add(block, countTextTokens(block.text));
    if ('cache_control' in block && block.cache_control != null) prefix.markBreakpoint();
  }
  const messages = convertAnthropicMessages(request.messages, capabilities, prefix);
  if ('refused' in messages) return messages;
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
    responseFormat: request.output_config?.format
      ? { type: 'json_schema', schema: request.output_config.format.schema as JsonSchema }
      : { type: 'text' },
    maxTokens: request.max_tokens,
    stopSequences,
    // Tools join the seed only when present, so a plain chat gets the same reply in either format.
    seedMaterial:
      request.tools === undefined
        ? baseSeed
        : `${baseSeed}\u0000${JSON.stringify([request.tools])}`,
  };
  return {
    chat,
    // The prefix holds the tools, the system prompt and every block, each counted once.
    inputTokens: TOKENS_PER_REPLY + prefix.tokens,
    prefix,
  };
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
