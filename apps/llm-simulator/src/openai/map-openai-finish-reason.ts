import type { ChatFinish } from '../chat/plan-chat-answer';

/** OpenAI's `finish_reason` for how an answer ended. */
export function mapOpenAiFinishReason(finish: ChatFinish): 'stop' | 'length' | 'tool_calls' {
  switch (finish) {
    case 'complete':
    case 'stop-sequence':
      return 'stop';
    case 'max-tokens':
      return 'length';
    case 'tool-calls':
      return 'tool_calls';
    default: {
      const unexpected: never = finish;
      throw new Error(`Unknown finish ${String(unexpected)}`);
    }
  }
}
