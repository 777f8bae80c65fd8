import type { ChatFinish } from '../chat/plan-chat-answer';

/** Anthropic's `stop_reason` for how an answer ended. */
export function mapAnthropicStopReason(
  finish: ChatFinish,
): 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' {
  switch (finish) {
    case 'complete':
      return 'end_turn';
    case 'max-tokens':
      return 'max_tokens';
    case 'stop-sequence':
      return 'stop_sequence';
    case 'tool-calls':
      return 'tool_use';
    default: {
      const unexpected: never = finish;
      throw new Error(`Unknown finish ${String(unexpected)}`);
    }
  }
}
