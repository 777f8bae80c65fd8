import type { ReplyFinish } from '../generation/generate-reply';

/** OpenAI's `finish_reason` for how a reply ended. */
export function mapOpenAiFinishReason(finish: ReplyFinish): 'stop' | 'length' {
  switch (finish) {
    case 'complete':
    case 'stop-sequence':
      return 'stop';
    case 'max-tokens':
      return 'length';
    default: {
      const unexpected: never = finish;
      throw new Error(`Unknown finish ${String(unexpected)}`);
    }
  }
}
