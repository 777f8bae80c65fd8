import type { FinishReason, JobResult } from '@llmq/core';

/** OpenAI's `finish_reason` for ours (`other` has no OpenAI name; `stop` is the closest). */
export function toOpenaiFinishReason(reason: FinishReason): string {
  return reason === 'other' ? 'stop' : reason;
}

/** OpenAI's usage object from a job's usage. */
export function toOpenaiUsage(result: JobResult) {
  return {
    prompt_tokens: result.usage.input_tokens,
    completion_tokens: result.usage.output_tokens,
    total_tokens: result.usage.total_tokens,
    prompt_tokens_details: { cached_tokens: result.usage.cached_input_tokens },
  };
}

/** The id OpenAI clients see: the job id, so a support question leads straight to the job. */
export function chatCompletionId(jobId: string): string {
  return `chatcmpl-${jobId}`;
}

/** A `chat.completion` object for a finished job. */
export function toChatCompletion(id: string, created: number, result: JobResult) {
  return {
    id,
    object: 'chat.completion' as const,
    created,
    model: result.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: result.text, refusal: null },
        logprobs: null,
        finish_reason: toOpenaiFinishReason(result.finish_reason),
      },
    ],
    usage: toOpenaiUsage(result),
  };
}

/** Builds the `chat.completion.chunk` objects of one streamed answer. */
export class ChatCompletionChunks {
  constructor(
    private readonly id: string,
    private readonly created: number,
    private readonly model: string,
    /** `stream_options.include_usage`: every chunk carries `usage: null`, and a last one the usage. */
    private readonly includeUsage: boolean,
  ) {}

  private chunk(choices: unknown[], usage?: unknown) {
    return JSON.stringify({
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices,
      ...(this.includeUsage ? { usage: usage ?? null } : {}),
    });
  }

  /** The opening chunk: the assistant role, no text yet. */
  role(): string {
    return this.chunk([
      { index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null },
    ]);
  }

  text(content: string): string {
    return this.chunk([{ index: 0, delta: { content }, logprobs: null, finish_reason: null }]);
  }

  finish(result: JobResult): string {
    return this.chunk([
      {
        index: 0,
        delta: {},
        logprobs: null,
        finish_reason: toOpenaiFinishReason(result.finish_reason),
      },
    ]);
  }

  /** The usage chunk (`choices: []`), sent only with `include_usage`. */
  usage(result: JobResult): string {
    return this.chunk([], toOpenaiUsage(result));
  }
}
