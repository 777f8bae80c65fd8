import type { ReplyFinish } from '../generation/generate-reply';

/** Anthropic's `stop_reason` for how a reply ended. */
export function mapAnthropicStopReason(
  finish: ReplyFinish,
): 'end_turn' | 'max_tokens' | 'stop_sequence' {
  switch (finish) {
    case 'complete':
      return 'end_turn';
    case 'max-tokens':
      return 'max_tokens';
    case 'stop-sequence':
      return 'stop_sequence';
    default: {
      const unexpected: never = finish;
      throw new Error(`Unknown finish ${String(unexpected)}`);
    }
  }
}
