import { z } from 'zod';
import { countTextTokens } from '../generation/count-tokens';
import { generateReply, type Reply } from '../generation/generate-reply';
import { groupReplyDeltas } from '../generation/group-reply-deltas';
import { replySeedMaterial } from '../generation/reply-seed';
import { randomIdSuffix } from '../model-call/create-id';
import type { ModelRoute } from '../model-call/model-route';
import type { SseEvent } from '../server/sse-event';
import { completionUsage, SYSTEM_FINGERPRINT } from './convert-openai-usage';
import { mapOpenAiFinishReason } from './map-openai-finish-reason';
import { openAiDialect } from './openai-dialect';
import { openAiSamplingFields, stopSequencesOf } from './openai-sampling-schema';

/** Most prompts one call may carry, as OpenAI allows. */
export const MAX_PROMPTS_PER_CALL = 2048;

/**
 * The body of `POST /v1/completions`. `prompt` is a string or a batch of strings (token-array
 * prompts are rejected). Unlike OpenAI, an absent `max_tokens` means no limit instead of 16.
 */
export const completionRequestSchema = z.object({
  model: z.string().min(1),
  prompt: z.union([z.string(), z.array(z.string()).min(1).max(MAX_PROMPTS_PER_CALL)]),
  max_tokens: z.number().int().min(1).nullish(),
  ...openAiSamplingFields,
});

export type CompletionRequest = z.infer<typeof completionRequestSchema>;

/**
 * `POST /v1/completions`: one choice per prompt, usage summed over the batch. Each prompt's
 * reply depends only on that prompt, so batching never changes an answer.
 */
export const completionsRoute: ModelRoute<CompletionRequest> = {
  path: '/v1/completions',
  dialect: openAiDialect,
  requestSchema: completionRequestSchema,
  answer(request) {
    const prompts = typeof request.prompt === 'string' ? [request.prompt] : request.prompt;
    const maxTokens = request.max_tokens ?? null;
    const stopSequences = stopSequencesOf(request.stop);
    const replies = prompts.map((prompt) =>
      generateReply({
        seedMaterial: replySeedMaterial({
          model: request.model,
          conversation: [['prompt', prompt]],
          temperature: request.temperature ?? null,
          topP: request.top_p ?? null,
          seed: request.seed ?? null,
          maxTokens,
          stopSequences,
        }),
        lastUserText: prompt,
        maxTokens,
        stopSequences,
      }),
    );
    const inputTokens = prompts.reduce((sum, prompt) => sum + countTextTokens(prompt), 0);
    const outputTokens = replies.reduce((sum, reply) => sum + reply.completionTokens, 0);
    const completion = {
      id: `cmpl-${randomIdSuffix()}`,
      object: 'text_completion',
      created: Math.floor(Date.now() / 1000),
      model: request.model,
      system_fingerprint: SYSTEM_FINGERPRINT,
    };
    const usage = completionUsage(inputTokens, outputTokens);
    return {
      stream: request.stream === true,
      inputCount: prompts.length,
      inputTokens,
      outputTokens,
      renderBody: () =>
        JSON.stringify({
          ...completion,
          choices: replies.map((reply, index) => ({
            text: reply.text,
            index,
            logprobs: null,
            finish_reason: mapOpenAiFinishReason(reply.finish),
          })),
          usage,
        }),
      renderEvents: () =>
        completionChunks(
          completion,
          replies,
          request.stream_options?.include_usage === true ? usage : null,
        ),
    };
  },
};

function completionChunks(
  completion: object,
  replies: readonly Reply[],
  usage: object | null,
): SseEvent[] {
  const chunk = (
    choices: unknown[],
    tokens: number,
    chunkUsage: object | null = null,
  ): SseEvent => ({
    data: JSON.stringify({ ...completion, choices, ...(usage ? { usage: chunkUsage } : {}) }),
    tokens,
  });
  const events: SseEvent[] = [];
  replies.forEach((reply, index) => {
    for (const delta of groupReplyDeltas(reply.pieces)) {
      events.push(
        chunk([{ text: delta.text, index, logprobs: null, finish_reason: null }], delta.tokens),
      );
    }
    events.push(
      chunk(
        [{ text: '', index, logprobs: null, finish_reason: mapOpenAiFinishReason(reply.finish) }],
        0,
      ),
    );
  });
  if (usage) events.push(chunk([], 0, usage));
  events.push({ data: '[DONE]', tokens: 0 });
  return events;
}
