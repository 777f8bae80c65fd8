import { createHash } from 'node:crypto';
import type { NormalizedRequest } from '../jobs/job-request';
import { canonicalJson } from '../jobs/job-submitter';
import { textOf } from '../messages/text-of';

/** The part of a request the semantic cache embeds, and the part that must match exactly. */
export interface SemanticPrompt {
  /** The text embedded and guarded: the user's prompt, or the whole conversation. */
  text: string;
  /** Everything else that can change the answer, hashed: the scope of the entry. */
  scopeHash: string;
}

/**
 * Splits a request for the semantic cache. A single-turn request (system messages, then one
 * user message) embeds the user message; its system prompt, model and every generation
 * parameter go into the scope, which must match exactly, as in the exact cache's key.
 *
 * A multi-turn conversation is a different question when any earlier turn differs, so it is
 * not looked up by default (undefined). With `multiTurn`, the whole conversation is embedded
 * (roles included) and its shape (the sequence of roles) joins the scope.
 *
 * `scopeSalt` names what else must match for vectors to be comparable (the embedding model
 * and the LSH configuration).
 */
export function semanticPromptOf(
  model: string,
  request: NormalizedRequest,
  options: { multiTurn: boolean; scopeSalt: string },
): SemanticPrompt | undefined {
  if (!isPlainText(request)) return undefined;
  const turns = request.messages.filter((message) => message.role !== 'system');
  const last = turns.at(-1);
  if (last === undefined || last.role !== 'user') return undefined;
  const singleTurn = turns.length === 1;
  if (!singleTurn && !options.multiTurn) return undefined;
  // System messages sit anywhere in principle; the scope keeps their order and position.
  const shape = request.messages.map((message) =>
    message.role === 'system' ? `system:${textOf(message)}` : message.role,
  );
  const text = singleTurn
    ? textOf(last)
    : turns.map((message) => `${message.role}: ${textOf(message)}`).join('\n');
  const { messages: _messages, ...generation } = request;
  const scopeHash = createHash('sha256')
    .update(
      canonicalJson({
        salt: options.scopeSalt,
        model,
        shape,
        ...generation,
      }),
    )
    .digest('hex')
    .slice(0, 32);
  return { text, scopeHash };
}

/**
 * True for a conversation of text alone: the semantic cache leaves requests with tools, tool
 * turns, images, documents, reasoning or a JSON response format to the exact cache, since a
 * similar prompt does not make a similar tool call or a valid object of another schema.
 */
function isPlainText(request: NormalizedRequest): boolean {
  if (request.tools !== undefined || request.toolChoice !== undefined) return false;
  if (request.responseFormat !== undefined && request.responseFormat.type !== 'text') return false;
  return request.messages.every(
    (message) =>
      message.role !== 'tool' &&
      (typeof message.content === 'string' ||
        message.content.every((part) => part.type === 'text')),
  );
}
