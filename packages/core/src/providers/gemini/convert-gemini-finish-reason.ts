import type { FinishReason } from '../language-model';
import { geminiSdk } from './gemini-sdk';

/** Gemini's reasons for blocking an answer: all mean the content filter stopped it. */
let filtered: ReadonlySet<string> | undefined;

function filteredReasons(): ReadonlySet<string> {
  const { FinishReason } = geminiSdk();
  filtered ??= new Set<string>([
    FinishReason.SAFETY,
    FinishReason.RECITATION,
    FinishReason.BLOCKLIST,
    FinishReason.PROHIBITED_CONTENT,
    FinishReason.SPII,
    FinishReason.IMAGE_SAFETY,
  ]);
  return filtered;
}

/**
 * Maps a Gemini finish reason. Gemini ends a turn of function calls with `STOP`, so the
 * caller says whether the answer called tools.
 */
export function convertGeminiFinishReason(
  reason: string | undefined,
  calledTools: boolean,
): FinishReason {
  const { FinishReason } = geminiSdk();
  if (reason === FinishReason.STOP) return calledTools ? 'tool_calls' : 'stop';
  if (reason === FinishReason.MAX_TOKENS) return 'length';
  if (reason !== undefined && filteredReasons().has(reason)) return 'content_filter';
  return 'other';
}
