import { countTextTokens, headTokens, TokenTally } from '@llmq/tokenizer';
import { z } from 'zod';
import type { TextChatMessage } from '../messages/chat-message';
import {
  estimatedConversationOverhead,
  estimateInputTokens,
  perMessageOverhead,
} from '../tokens/estimate-input-tokens';

/**
 * Request-level prompt optimisation (`optimize` on a job request). Off unless asked for:
 * every change alters what the model sees.
 */
export const promptOptimizationSchema = z
  .object({
    /** Drop the oldest turns until the prompt fits the model's context window (less the output). */
    trim_history: z.boolean().optional(),
    /** Cut the prompt to at most this many input tokens (history first, then a marked truncation). */
    max_input_tokens: z.number().int().min(16).max(10_000_000).optional(),
    /** Collapse runs of spaces and tabs, strip line ends, at most one blank line in a row. */
    normalize_whitespace: z.boolean().optional(),
  })
  .strict();
export type PromptOptimizationRequest = z.infer<typeof promptOptimizationSchema>;

/** What optimisation changed, reported on the job (snake_case: part of the HTTP surface). */
export interface PromptOptimizationReport {
  /** The steps that changed something, in the order they ran. */
  applied: Array<'normalize_whitespace' | 'trim_history' | 'truncate'>;
  input_tokens_before: number;
  input_tokens_after: number;
  /** Oldest turns dropped to fit. */
  messages_dropped: number;
  /** Messages whose content was cut (ending in {@link truncationMarker}). */
  messages_truncated: number;
  /** Characters whitespace normalisation removed. */
  whitespace_chars_removed: number;
}

/** Appended where a message was cut. */
export const truncationMarker = '\n[… truncated by llmq …]';

export interface OptimizePromptInput {
  messages: readonly TextChatMessage[];
  options: PromptOptimizationRequest;
  /** The model's context window, tokens: the bound for `trim_history`. */
  contextWindow?: number;
  /** Output tokens to leave room for within the context window. */
  reservedOutputTokens?: number;
}

export interface OptimizedPrompt {
  messages: TextChatMessage[];
  report: PromptOptimizationReport;
}

export function normalizeWhitespace(text: string): string {
  return text
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ *\r?\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Applies the requested optimisations in a fixed order: whitespace first (cheapest, loses
 * nothing), then history trimming to the tightest bound (the context window less the output,
 * and `max_input_tokens`), keeping every system message and the latest turns, then, if the
 * prompt is still too long, a marked truncation of the longest messages.
 */
export function optimizePrompt(input: OptimizePromptInput): OptimizedPrompt {
  const { options } = input;
  let messages = input.messages.map((message) => ({ ...message }));
  const before = estimateInputTokens(messages);
  const report: PromptOptimizationReport = {
    applied: [],
    input_tokens_before: before,
    input_tokens_after: before,
    messages_dropped: 0,
    messages_truncated: 0,
    whitespace_chars_removed: 0,
  };

  if (options.normalize_whitespace) {
    for (const message of messages) {
      const normalized = normalizeWhitespace(message.content);
      report.whitespace_chars_removed += message.content.length - normalized.length;
      message.content = normalized;
    }
    if (report.whitespace_chars_removed > 0) report.applied.push('normalize_whitespace');
  }

  const bounds: number[] = [];
  if (options.trim_history && input.contextWindow !== undefined)
    bounds.push(input.contextWindow - (input.reservedOutputTokens ?? 0));
  if (options.max_input_tokens !== undefined) bounds.push(options.max_input_tokens);
  const limit = bounds.length > 0 ? Math.max(1, Math.min(...bounds)) : undefined;

  if (limit !== undefined && (options.trim_history || options.max_input_tokens !== undefined)) {
    // Drop the oldest non-system turn while too long, never the latest message. Each message
    // is counted once (recounting the whole prompt per drop is quadratic in the turns).
    const tally = new TokenTally();
    let total = estimatedConversationOverhead;
    const counted = messages.map((message) => {
      const tokens = perMessageOverhead + tally.count(message.content);
      total += tokens;
      return { message, tokens };
    });
    const kept = counted.filter((entry, index) => {
      const droppable = entry.message.role !== 'system' && index < counted.length - 1;
      if (total <= limit || !droppable) return true;
      total -= entry.tokens;
      report.messages_dropped += 1;
      return false;
    });
    messages = kept.map((entry) => entry.message);
    if (report.messages_dropped > 0) report.applied.push('trim_history');
  }

  if (limit !== undefined && options.max_input_tokens !== undefined) {
    let excess = estimateInputTokens(messages) - limit;
    const markerTokens = countTextTokens(truncationMarker);
    // Cut the longest messages first: they hold the bulk, and a short instruction survives.
    const tally = new TokenTally();
    const order = messages
      .map((message, index) => ({ index, tokens: tally.count(message.content) }))
      .sort((a, b) => b.tokens - a.tokens);
    for (const { index, tokens } of order) {
      if (excess <= 0) break;
      const message = messages[index] as TextChatMessage;
      const keep = Math.max(0, tokens - excess - markerTokens);
      const cut = headTokens(message.content, keep) + truncationMarker;
      excess -= tokens - countTextTokens(cut);
      messages[index] = { ...message, content: cut };
      report.messages_truncated += 1;
    }
    if (report.messages_truncated > 0) report.applied.push('truncate');
  }

  report.input_tokens_after = estimateInputTokens(messages);
  return { messages, report };
}
