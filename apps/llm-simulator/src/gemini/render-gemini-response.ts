import type { ChatAnswerPlan, ChatFinish } from '../chat/plan-chat-answer';
import type { Reply } from '../generation/generate-reply';
import { groupReplyDeltas } from '../generation/group-reply-deltas';
import { signThinking } from '../reasoning/thinking-signature';
import type { SseEvent } from '../server/sse-event';
import { signFunctionCall } from './function-call-signatures';
import { signTextPart } from './text-part-signatures';

/** A planned generateContent answer with what the response repeats. */
export interface AnsweredContent {
  model: string;
  responseId: string;
  plan: ChatAnswerPlan;
  /** The model's thinking, when it thought; null otherwise. */
  thinking: Reply | null;
  /** Whether thought summaries are returned as parts (`includeThoughts`). */
  includeThoughts: boolean;
  promptTokens: number;
  /** Prompt tokens served from the implicit cache (part of `promptTokens`). */
  cachedTokens: number;
  /**
   * Whether the answer carries a thought signature (the reasoning models, as Gemini 2.5 and 3
   * do): on its first function call, or with none on its last text part.
   */
  signs: boolean;
}

function finishReasonOf(finish: ChatFinish): string {
  return finish === 'max-tokens' ? 'MAX_TOKENS' : 'STOP';
}

function usageMetadata(answer: AnsweredContent) {
  const thoughts = answer.thinking?.completionTokens ?? 0;
  const candidates = answer.plan.completionTokens;
  return {
    promptTokenCount: answer.promptTokens,
    candidatesTokenCount: candidates,
    totalTokenCount: answer.promptTokens + candidates + thoughts,
    ...(thoughts > 0 ? { thoughtsTokenCount: thoughts } : {}),
    ...(answer.cachedTokens > 0
      ? {
          cachedContentTokenCount: answer.cachedTokens,
          cacheTokensDetails: [{ modality: 'TEXT', tokenCount: answer.cachedTokens }],
        }
      : {}),
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: answer.promptTokens }],
  };
}

function thoughtPart(answer: AnsweredContent): object | null {
  if (answer.thinking === null || !answer.includeThoughts) return null;
  const text = answer.thinking.text;
  return { text, thought: true, thoughtSignature: signThinking(text) };
}

/** The signature of an answer's text: a signing model's answer without function calls has one. */
function textSignature(answer: AnsweredContent, text: string): { thoughtSignature?: string } {
  if (!answer.signs || answer.plan.toolCalls.length > 0) return {};
  return { thoughtSignature: signTextPart(text) };
}

/**
 * Gemini API function calls carry no id; the caller pairs results by name. A model that signs
 * puts the step's thought signature on its first call only (see function-call-signatures.ts).
 */
function functionCallParts(answer: AnsweredContent): object[] {
  return answer.plan.toolCalls.map((call, index) => {
    const args: unknown = JSON.parse(call.argumentsJson);
    return {
      functionCall: { name: call.name, args },
      ...(answer.signs && index === 0
        ? { thoughtSignature: signFunctionCall(call.name, args) }
        : {}),
    };
  });
}

/** The JSON body of a whole `generateContent` answer. */
export function generateContentBody(answer: AnsweredContent): string {
  const { plan } = answer;
  const thought = thoughtPart(answer);
  const parts = [
    ...(thought === null ? [] : [thought]),
    ...(plan.reply.text.length > 0 || plan.toolCalls.length === 0
      ? [{ text: plan.reply.text, ...textSignature(answer, plan.reply.text) }]
      : []),
    ...functionCallParts(answer),
  ];
  return JSON.stringify({
    candidates: [
      {
        content: { parts, role: 'model' },
        finishReason: finishReasonOf(plan.finish),
        index: 0,
      },
    ],
    usageMetadata: usageMetadata(answer),
    modelVersion: answer.model,
    responseId: answer.responseId,
  });
}

/**
 * The events of `streamGenerateContent?alt=sse`: one `data:` line per chunk and no end marker.
 * The thought summary first (it carries the thinking tokens, so a paced stream waits for the
 * thinking), then text deltas, then function calls whole; the last chunk carries the finish
 * reason and the whole usage, earlier ones the prompt's.
 */
export function generateContentEvents(answer: AnsweredContent): SseEvent[] {
  const { plan } = answer;
  const promptUsage = {
    promptTokenCount: answer.promptTokens,
    totalTokenCount: answer.promptTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: answer.promptTokens }],
  };
  const chunks: Array<{ parts: object[]; tokens: number }> = [];
  const thought = thoughtPart(answer);
  if (thought !== null)
    chunks.push({ parts: [thought], tokens: answer.thinking?.completionTokens ?? 0 });
  for (const delta of groupReplyDeltas(plan.reply.pieces))
    chunks.push({ parts: [{ text: delta.text }], tokens: delta.tokens });
  // A signing model streams the signature of its whole text on an empty last text part.
  const signature = textSignature(answer, plan.reply.text);
  if ('thoughtSignature' in signature)
    chunks.push({ parts: [{ text: '', ...signature }], tokens: 0 });
  const calls = functionCallParts(answer);
  if (calls.length > 0) {
    const tokens = plan.toolCalls.reduce((sum, call) => sum + call.tokens, 0);
    chunks.push({ parts: calls, tokens });
  }
  if (chunks.length === 0 || (thought !== null && chunks.length === 1))
    chunks.push({ parts: [{ text: '' }], tokens: 0 });
  return chunks.map((chunk, index) => {
    const last = index === chunks.length - 1;
    return {
      data: JSON.stringify({
        candidates: [
          {
            content: { parts: chunk.parts, role: 'model' },
            ...(last ? { finishReason: finishReasonOf(plan.finish) } : {}),
            index: 0,
          },
        ],
        usageMetadata: last ? usageMetadata(answer) : promptUsage,
        modelVersion: answer.model,
        responseId: answer.responseId,
      }),
      tokens: chunk.tokens,
    };
  });
}
