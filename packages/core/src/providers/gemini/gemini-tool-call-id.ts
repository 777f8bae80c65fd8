import { randomUUID } from 'node:crypto';

/**
 * llmq's message model pairs a tool result with its call by id, and a client sends the call
 * back next turn with nothing but its id, name and arguments (OpenAI's `tool_calls`,
 * Anthropic's `tool_use`, a Responses `function_call`). A Gemini function call has more to
 * carry than that:
 * - usually no id of its own, so llmq makes one up (`llmq_fc_…`) and never sends it to Gemini;
 * - on thinking models, a thought signature on the step's first call, which Gemini 3 requires
 *   back unchanged next turn (400 "Function call is missing a thought_signature" otherwise).
 *   The signature rides inside the id (`llmq_fcs_…`, base64url, so it stays within
 *   Anthropic's `[a-zA-Z0-9_-]` id pattern) and is taken out again when the call goes back to
 *   Gemini: no state in llmq, and it survives any client that keeps the id.
 */
const generatedPrefix = 'llmq_fc_';
const signedPrefix = 'llmq_fcs_';

/** What a Gemini function call carries that the id stands for. */
export interface GeminiCallIdentity {
  /** Gemini's own id of the call, when it gave one. */
  id?: string;
  thoughtSignature?: string;
}

/** The id of a function call: the model's own, a generated one, or one carrying its signature. */
export function toolCallIdOf(call: GeminiCallIdentity): string {
  const id = call.id !== undefined && call.id.length > 0 ? call.id : undefined;
  if (call.thoughtSignature === undefined || call.thoughtSignature.length === 0)
    return id ?? `${generatedPrefix}${randomUUID()}`;
  // The nonce keeps two steps with equal signatures (a repeated call) apart.
  const sealed = JSON.stringify([id ?? null, call.thoughtSignature, randomUUID().slice(0, 8)]);
  return `${signedPrefix}${Buffer.from(sealed).toString('base64url')}`;
}

/**
 * What to send Gemini for a call llmq gave `toolCallId`: nothing for a made-up id, the
 * signature (and Gemini's id) sealed in a signed one, the id itself otherwise. A signed id
 * that does not decode is sent as neither (Gemini then says what it misses).
 */
export function geminiCallOf(toolCallId: string): GeminiCallIdentity {
  if (toolCallId.startsWith(signedPrefix)) return unseal(toolCallId.slice(signedPrefix.length));
  if (toolCallId.startsWith(generatedPrefix)) return {};
  return { id: toolCallId };
}

function unseal(encoded: string): GeminiCallIdentity {
  let sealed: unknown;
  try {
    sealed = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return {};
  }
  if (!Array.isArray(sealed)) return {};
  const [id, thoughtSignature] = sealed;
  if (typeof thoughtSignature !== 'string') return {};
  return typeof id === 'string' ? { id, thoughtSignature } : { thoughtSignature };
}
