import type { FinishReason } from '../language-model';

/** Maps an OpenAI `finish_reason` (also used by OpenAI-compatible servers) to ours. */
export function convertOpenAIFinishReason(finishReason: string | null | undefined): FinishReason {
  switch (finishReason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'content_filter':
      return 'content_filter';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    default:
      // Upstream strings are open-ended (servers invent their own, e.g. `eos`); not a closed set.
      return 'other';
  }
}
