import {
  type AssistantContentPart,
  type DialectAnswer,
  fromJobUsage,
  type JobResult,
  type StreamPart,
  type TokenLogprob,
} from '@llmq/core';

/** A finished job's answer parts (a result stored before parts existed is its text). */
function contentOf(result: JobResult): AssistantContentPart[] {
  if (result.content !== undefined) return result.content;
  return result.text === '' ? [] : [{ type: 'text', text: result.text }];
}

/** A finished job's result as the neutral answer every dialect's response is made from. */
export function dialectAnswerOf(
  result: JobResult,
  facts: { id: string; created: number; model: string },
): DialectAnswer {
  return {
    id: facts.id,
    created: facts.created,
    model: facts.model,
    content: contentOf(result),
    finishReason: result.finish_reason,
    usage: fromJobUsage(result.usage),
    ...(result.stop_sequence !== undefined ? { stopSequence: result.stop_sequence } : {}),
    ...(result.logprobs !== undefined ? { logprobs: result.logprobs } : {}),
    ...(result.other_choices !== undefined ? { otherChoices: result.other_choices } : {}),
    ...servingOf(result),
  };
}

/** The provider's fingerprint and tier a result recorded, as the neutral answer's fields. */
function servingOf(result: JobResult): { systemFingerprint?: string; serviceTier?: string } {
  return {
    ...(result.system_fingerprint !== undefined
      ? { systemFingerprint: result.system_fingerprint }
      : {}),
    ...(result.service_tier !== undefined ? { serviceTier: result.service_tier } : {}),
  };
}

/**
 * The `response-metadata` part of a finished result: what its provider said first (its
 * fingerprint, tier and cache writes), so an answer streamed again opens as it ends.
 */
function metadataPartOf(result: JobResult): StreamPart {
  const usage = fromJobUsage(result.usage);
  return {
    type: 'response-metadata',
    ...servingOf(result),
    cacheWrites: {
      inputTokens: usage.cacheWriteInputTokens ?? 0,
      oneHourInputTokens: usage.cacheWrite1hInputTokens ?? 0,
    },
  };
}

/**
 * The stream parts of a finished result, in order: how a cached answer is streamed again,
 * led by its `response-metadata`. The
 * result's token logprobs (one list for the whole answer) ride on its first text delta. The
 * other choices of an `n` > 1 result follow the first, each whole, its parts naming it, and
 * each choice's `choice-end` follows its parts (as a streamed `n` > 1 answer's do).
 */
export function contentStreamParts(result: JobResult): StreamPart[] {
  const parts = [
    metadataPartOf(result),
    ...answerStreamParts(contentOf(result), result.logprobs, 0),
  ];
  const others = result.other_choices ?? [];
  if (others.length === 0) return parts;
  parts.push({ type: 'choice-end', finishReason: result.finish_reason });
  for (const [index, other] of others.entries())
    parts.push(...answerStreamParts(other.content, other.logprobs, index + 1), {
      type: 'choice-end',
      finishReason: other.finishReason,
      choice: index + 1,
    });
  return parts;
}

function answerStreamParts(
  content: readonly AssistantContentPart[],
  answerLogprobs: TokenLogprob[] | undefined,
  choice: number,
): StreamPart[] {
  const parts: StreamPart[] = [];
  // The first answer's parts name no choice, as a one-answer stream's never do.
  const of = choice === 0 ? {} : { choice };
  let toolIndex = 0;
  let logprobs = answerLogprobs;
  for (const part of content) {
    if (part.type === 'text') {
      parts.push({
        type: 'text-delta',
        delta: part.text,
        ...(logprobs ? { logprobs } : {}),
        ...of,
      });
      logprobs = undefined;
    } else if (part.type === 'tool-call') {
      parts.push(
        {
          type: 'tool-call-start',
          index: toolIndex,
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          ...of,
        },
        { type: 'tool-call-delta', index: toolIndex, argumentsDelta: part.arguments, ...of },
      );
      toolIndex += 1;
    } else if (part.redactedData !== undefined)
      parts.push({ type: 'reasoning-redacted', data: part.redactedData, ...of });
    else {
      parts.push({ type: 'reasoning-delta', delta: part.text, ...of });
      if (part.signature !== undefined)
        parts.push({ type: 'reasoning-signature', signature: part.signature, ...of });
    }
  }
  return parts;
}

/** The `finish` part of a finished result (with each other choice's finish reason). */
export function finishPartOf(result: JobResult): StreamPart {
  return {
    type: 'finish',
    finishReason: result.finish_reason,
    ...(result.other_choices !== undefined
      ? { otherFinishReasons: result.other_choices.map((choice) => choice.finishReason) }
      : {}),
    usage: fromJobUsage(result.usage),
    responseModel: result.upstream_model,
    ...(result.stop_sequence !== undefined ? { stopSequence: result.stop_sequence } : {}),
    ...(result.response_id !== undefined ? { responseId: result.response_id } : {}),
    ...servingOf(result),
  };
}
