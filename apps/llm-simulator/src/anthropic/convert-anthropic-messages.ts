import type { LastTurn, ToolResult } from '../chat/chat-request';
import type { Conversation } from '../generation/conversation';
import { lastTextOf } from '../generation/conversation';
import { messageFramingTokens } from '../generation/count-prompt-tokens';
import { countTextTokens } from '../generation/count-tokens';
import {
  anthropicImageTokens,
  countPdfPages,
  TOKENS_PER_PDF_PAGE,
} from '../media/count-media-tokens';
import { ASSUMED_IMAGE_SIZE, readImageSize } from '../media/image-size';
import type { RefusedRequest } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import type { ModelCapabilities } from '../profiles/model-profile';
import type { PromptPrefix } from '../prompt-cache/prompt-prefix';
import { verifyRedactedThinking, verifyThinking } from '../reasoning/thinking-signature';
import { cacheTtlMs } from './cache-ttl';
import type { AnthropicContentBlock, AnthropicMessage } from './messages-request-schema';

/** The messages of a Messages request in provider-neutral form. */
export interface ConvertedAnthropicMessages {
  conversation: Conversation;
  lastTurn: LastTurn;
}

type Blocks = readonly AnthropicContentBlock[];

/**
 * Converts and checks the messages as Anthropic does: `tool_result` blocks answer `tool_use`
 * blocks of the message right before, every `tool_use` is answered in the next message,
 * thinking blocks carry the signature the simulator gave them, images and documents are
 * readable and the model takes them. Adds every block to `prefix` for the prompt cache.
 */
export function convertAnthropicMessages(
  messages: readonly AnthropicMessage[],
  capabilities: ModelCapabilities,
  prefix: PromptPrefix,
): ConvertedAnthropicMessages | RefusedRequest {
  const conversation: Array<readonly [string, string]> = [];
  let pending = new Map<string, string>();
  let results: ToolResult[] = [];
  for (const [index, message] of messages.entries()) {
    const blocks: Blocks =
      typeof message.content === 'string'
        ? [{ type: 'text', text: message.content }]
        : message.content;
    const walked = walkBlocks(blocks, message.role, index, pending, capabilities, prefix);
    if ('refused' in walked) return walked;
    if (message.role === 'user' && pending.size > 0) {
      const missing = [...pending.keys()].filter(
        (id) => !walked.results.some((result) => result.id === id),
      );
      if (missing.length > 0)
        return refuse(
          `messages.${index - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
          `messages.${index - 1}`,
        );
    }
    for (const result of walked.results) conversation.push(['tool', result.content]);
    if (walked.text.length > 0 || walked.results.length === 0)
      conversation.push([message.role, walked.text]);
    pending = walked.toolUses;
    results = message.role === 'user' ? walked.results : [];
  }
  const lastTurn: LastTurn =
    results.length > 0
      ? {
          kind: 'tool-results',
          results,
        }
      : { kind: 'user', text: lastTextOf(conversation, 'user') };
  return { conversation, lastTurn };
}

interface WalkedBlocks {
  text: string;
  results: Array<ToolResult & { id: string }>;
  /** `tool_use` blocks of this message: id → name. */
  toolUses: Map<string, string>;
}

function walkBlocks(
  blocks: Blocks,
  role: string,
  messageIndex: number,
  previousToolUses: ReadonlyMap<string, string>,
  capabilities: ModelCapabilities,
  prefix: PromptPrefix,
): WalkedBlocks | RefusedRequest {
  const walked: WalkedBlocks = { text: '', results: [], toolUses: new Map() };
  const texts: string[] = [];
  prefix.add(null, messageFramingTokens(role));
  for (const [blockIndex, block] of blocks.entries()) {
    const path = `messages.${messageIndex}.content.${blockIndex}`;
    let tokens = 0;
    switch (block.type) {
      case 'text':
        texts.push(block.text);
        tokens = countTextTokens(block.text);
        break;
      case 'image':
      case 'document': {
        const media = mediaTokensOf(block, path, capabilities);
        if (typeof media !== 'number') return media;
        tokens = media;
        break;
      }
      case 'tool_use': {
        walked.toolUses.set(block.id, block.name);
        const call = `${block.name}(${JSON.stringify(block.input)})`;
        texts.push(call);
        tokens = countTextTokens(call);
        break;
      }
      case 'tool_result': {
        const toolName = previousToolUses.get(block.tool_use_id);
        if (toolName === undefined)
          return refuse(
            `${path}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.tool_use_id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
            path,
          );
        const content = toolResultText(block.content);
        walked.results.push({
          id: block.tool_use_id,
          toolName,
          content,
          isError: block.is_error === true,
        });
        tokens = countTextTokens(content);
        for (const [partIndex, part] of (typeof block.content === 'string'
          ? []
          : (block.content ?? [])
        ).entries()) {
          if (part.type !== 'image') continue;
          const media = mediaTokensOf(part, `${path}.content.${partIndex}`, capabilities);
          if (typeof media !== 'number') return media;
          tokens += media;
        }
        break;
      }
      case 'thinking':
        if (!verifyThinking(block.thinking, block.signature))
          return refuse(`${path}: Invalid \`signature\` in \`thinking\` block`, path);
        break;
      case 'redacted_thinking':
        if (!verifyRedactedThinking(block.data))
          return refuse(`${path}: Invalid \`data\` in \`redacted_thinking\` block`, path);
        break;
      default: {
        const unexpected: never = block;
        throw new Error(`Unknown block ${String(unexpected)}`);
      }
    }
    prefix.add(block, tokens);
    if ('cache_control' in block && block.cache_control != null)
      prefix.markBreakpoint(cacheTtlMs(block.cache_control));
  }
  walked.text = texts.join('\n');
  return walked;
}

function toolResultText(
  content: Extract<AnthropicContentBlock, { type: 'tool_result' }>['content'],
): string {
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .map((part) => (part.type === 'text' ? part.text : ''))
    .filter((text) => text.length > 0)
    .join('\n');
}

function mediaTokensOf(
  block: Extract<AnthropicContentBlock, { type: 'image' | 'document' }>,
  path: string,
  capabilities: ModelCapabilities,
): number | RefusedRequest {
  const source = block.source;
  if (source.type === 'file')
    return refuse(
      `${path}.source: the simulator has no Files API; send the ${block.type} inline.`,
      `${path}.source`,
    );
  if (block.type === 'image') {
    if (!capabilities.vision)
      return refuse(`${path}: this model does not support image input.`, path);
    const size = source.type === 'base64' ? readImageSize(source.data) : null;
    return anthropicImageTokens(size ?? ASSUMED_IMAGE_SIZE);
  }
  if (!capabilities.documents)
    return refuse(`${path}: this model does not support document input.`, path);
  switch (source.type) {
    case 'base64':
      return countPdfPages(source.data) * TOKENS_PER_PDF_PAGE;
    case 'text':
      return countTextTokens(source.data);
    case 'content':
      return countTextTokens(
        typeof source.content === 'string'
          ? source.content
          : source.content.map((part) => part.text).join('\n'),
      );
    default:
      // A PDF URL the simulator does not fetch counts as one page.
      return TOKENS_PER_PDF_PAGE;
  }
}
