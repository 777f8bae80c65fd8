import { toEmbeddingsBody, toTextCompletionBody } from '../batches/endpoint-response-body';
import type { JobResult } from '../jobs/job-record';

/** The vectors of a finished embeddings job; undefined when the result is not one. */
function embeddingsOf(result: JobResult): number[][] | undefined {
  const answer = result.endpoint_answer;
  return answer?.type === 'embeddings' ? answer.embeddings : undefined;
}

function choicesOf(result: JobResult) {
  const answer = result.endpoint_answer;
  return answer?.type === 'completions' ? answer.choices : undefined;
}

/**
 * OpenAI's `/v1/embeddings` answer of a finished job (`object: "list"`, one `embedding` per
 * input, floats or base64 of float32 as asked). `model` is the catalog model, as the sync chat
 * answer names it.
 */
export function toOpenAIEmbeddingsResponse(result: JobResult, encodingFormat: 'float' | 'base64') {
  const embeddings = embeddingsOf(result);
  if (!embeddings) throw new Error('the job result holds no embeddings');
  return toEmbeddingsBody(
    { embeddings, inputTokens: result.usage.input_tokens, responseModel: result.model },
    encodingFormat,
  );
}

/** OpenAI's `text_completion` answer of a finished completions job. */
export function toOpenAICompletionResponse(result: JobResult, id: string, createdAtMs: number) {
  const choices = choicesOf(result);
  if (!choices) throw new Error('the job result holds no completion choices');
  return toTextCompletionBody(
    {
      choices: choices.map((choice) => ({
        index: choice.index,
        text: choice.text,
        finishReason: choice.finish_reason,
      })),
      inputTokens: result.usage.input_tokens,
      outputTokens: result.usage.output_tokens,
      responseModel: result.model,
      responseId: id,
    },
    createdAtMs,
  );
}

/**
 * A finished completions job as OpenAI's stream chunks (`text_completion` objects): one chunk
 * per choice with its text and finish reason, then, with `include_usage`, a chunk with no
 * choices and the usage (every other chunk then says `usage: null`). The provider call is not
 * streamed (it may carry other requests' prompts), so the chunks come once the answer is in.
 */
export function toOpenAICompletionChunks(
  result: JobResult,
  id: string,
  createdAtMs: number,
  includeUsage: boolean,
) {
  const body = toOpenAICompletionResponse(result, id, createdAtMs);
  const { usage, choices, ...head } = body;
  const chunks: Array<Record<string, unknown>> = choices.map((choice) => ({
    ...head,
    choices: [choice],
    ...(includeUsage ? { usage: null } : {}),
  }));
  if (includeUsage) chunks.push({ ...head, choices: [], usage });
  return chunks;
}
