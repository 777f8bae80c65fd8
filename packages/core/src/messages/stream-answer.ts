import type { TokenLogprob } from './chat-result';
import type { AssistantContentPart, ReasoningPart, ToolCallPart } from './content-part';
import type { StreamPart } from './stream-part';

/**
 * Every stream part but `finish`: the parts that carry content, and an `n` > 1 answer's
 * `choice-end` (what a job's delta events relay before its end).
 */
export type ContentStreamPart = Exclude<StreamPart, { type: 'finish' }>;

/**
 * Assembles an answer's content parts from its stream parts, in the order they came: text
 * deltas join one text part, reasoning deltas one reasoning part (its signature added when it
 * arrives), and each tool call is one part whose argument deltas add up to its JSON arguments.
 * Text deltas' token logprobs join one list, in order.
 */
export class StreamAnswer {
  private readonly parts: AssistantContentPart[] = [];
  private readonly toolCalls = new Map<number, ToolCallPart>();
  private tokenLogprobs: TokenLogprob[] | undefined;

  add(part: ContentStreamPart): void {
    const last = this.parts.at(-1);
    switch (part.type) {
      case 'text-delta':
        if (part.logprobs !== undefined) {
          this.tokenLogprobs ??= [];
          for (const entry of part.logprobs) this.tokenLogprobs.push(entry);
        }
        if (part.delta === '') return;
        if (last?.type === 'text') last.text += part.delta;
        else this.parts.push({ type: 'text', text: part.delta });
        return;
      case 'reasoning-delta':
        if (last?.type === 'reasoning' && last.signature === undefined) last.text += part.delta;
        else this.parts.push({ type: 'reasoning', text: part.delta });
        return;
      case 'reasoning-signature': {
        if (last?.type === 'reasoning') last.signature = part.signature;
        else this.parts.push({ type: 'reasoning', text: '', signature: part.signature });
        return;
      }
      case 'reasoning-redacted': {
        const redacted: ReasoningPart = { type: 'reasoning', text: '', redactedData: part.data };
        this.parts.push(redacted);
        return;
      }
      case 'tool-call-start': {
        const call: ToolCallPart = {
          type: 'tool-call',
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          arguments: '',
        };
        this.toolCalls.set(part.index, call);
        this.parts.push(call);
        return;
      }
      case 'tool-call-delta': {
        const call = this.toolCalls.get(part.index);
        if (call) call.arguments += part.argumentsDelta;
        return;
      }
      case 'choice-end':
        // The answer's end adds no content; its reason comes with the stream's `finish`.
        return;
      case 'response-metadata':
        // No content: what it says is repeated by the stream's `finish` or its usage.
        return;
      default: {
        const unreachable: never = part;
        throw new Error(`unknown stream part ${JSON.stringify(unreachable)}`);
      }
    }
  }

  /** The tokens' log probabilities so far; undefined when no delta carried any. */
  logprobs(): TokenLogprob[] | undefined {
    return this.tokenLogprobs;
  }

  /** The parts so far (tool calls with no arguments streamed get `{}`, as providers mean it). */
  content(): AssistantContentPart[] {
    return this.parts.map((part) =>
      part.type === 'tool-call' && part.arguments === '' ? { ...part, arguments: '{}' } : part,
    );
  }
}
