import type { FinishReason } from '../language-model';

/** Maps an Anthropic `stop_reason` to ours. */
export function convertAnthropicFinishReason(stopReason: string | null | undefined): FinishReason {
  switch (stopReason) {
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // `pause_turn`, null, and whatever Anthropic adds next: upstream strings are not a closed set.
      return 'other';
  }
}
