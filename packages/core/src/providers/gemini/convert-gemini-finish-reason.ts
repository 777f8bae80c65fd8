import type { FinishReason } from '../language-model';
import { FinishReason as GeminiFinishReason } from './gemini-sdk';

/** Gemini's reasons for blocking an answer: all mean the content filter stopped it. */
const filtered: ReadonlySet<string> = new Set<string>([
  GeminiFinishReason.SAFETY,
  GeminiFinishReason.RECITATION,
  GeminiFinishReason.BLOCKLIST,
  GeminiFinishReason.PROHIBITED_CONTENT,
  GeminiFinishReason.SPII,
  GeminiFinishReason.IMAGE_SAFETY,
]);

/**
 * Maps a Gemini finish reason. Gemini ends a turn of function calls with `STOP`, so the
 * caller says whether the answer called tools.
 */
export function convertGeminiFinishReason(
  reason: string | undefined,
  calledTools: boolean,
): FinishReason {
  if (reason === GeminiFinishReason.STOP) return calledTools ? 'tool_calls' : 'stop';
  if (reason === GeminiFinishReason.MAX_TOKENS) return 'length';
  if (reason !== undefined && filtered.has(reason)) return 'content_filter';
  return 'other';
}
