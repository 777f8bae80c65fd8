import { createHash, timingSafeEqual } from 'node:crypto';
import type { RefusedRequest } from '../model-call/model-route';
import { refuse } from '../model-call/refuse';
import { signThinking } from '../reasoning/thinking-signature';
import type { GeminiContent, GeminiPart } from './gemini-request-schema';

/**
 * Thought signatures on function calls, as Gemini 3 models (the simulator's reasoning Gemini
 * models) give and check them (https://ai.google.dev/gemini-api/docs/thought-signatures):
 * - an answer with function calls carries a signature on the first call of the step (later
 *   parallel calls have none);
 * - a request must send each signature back: every step of the current turn (the model's
 *   contents after the last user content that is not only function responses) has one on its
 *   first function call, or the request fails with 400 `Function call is missing a
 *   thought_signature`; a signature that was altered fails as corrupted;
 * - Google's documented placeholders skip the check, for histories built elsewhere.
 */

/** The values Google documents for a history whose signatures were lost. */
const SKIP_VALIDATION = new Set([
  'skip_thought_signature_validator',
  'context_engineering_is_the_way_to_go',
]);

function signedText(name: string, args: unknown): string {
  return `functionCall\u0000${name}\u0000${JSON.stringify(args ?? {})}`;
}

/**
 * Bytes of opaque context a signature carries after its MAC. Gemini's thought signatures are
 * encrypted thought context, hundreds of bytes to kilobytes of base64, not a bare 32-byte MAC:
 * the simulator's are as long, so a client or gateway that caps or reshapes ids is caught.
 */
const CONTEXT_BYTES = 768;

/** Deterministic filler standing for the encrypted thought context: a hash chain of the MAC. */
function thoughtContext(mac: string): string {
  const blocks: Buffer[] = [];
  let block = createHash('sha256').update(mac).digest();
  while (blocks.length * block.length < CONTEXT_BYTES) {
    blocks.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(blocks).subarray(0, CONTEXT_BYTES).toString('base64');
}

/** The signature the simulator puts on a step's first function call (~1.1 KB of base64). */
export function signFunctionCall(name: string, args: unknown): string {
  const mac = signThinking(signedText(name, args));
  return `${mac}${thoughtContext(mac)}`;
}

/** Whether `signature` is the one {@link signFunctionCall} gives this call. */
function verifyFunctionCall(name: string, args: unknown, signature: string): boolean {
  const expected = Buffer.from(signFunctionCall(name, args));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function isOnlyFunctionResponses(content: GeminiContent): boolean {
  return content.parts.every((part) => part.functionResponse !== undefined);
}

/** The index of the first content of the current turn. */
function currentTurnStart(contents: readonly GeminiContent[]): number {
  for (let index = contents.length - 1; index >= 0; index -= 1) {
    const content = contents[index];
    if (content !== undefined && content.role !== 'model' && !isOnlyFunctionResponses(content))
      return index;
  }
  return 0;
}

function checkSignature(part: GeminiPart, path: string): RefusedRequest | null {
  const signature = part.thoughtSignature;
  if (signature === undefined || SKIP_VALIDATION.has(signature)) return null;
  const call = part.functionCall;
  if (call === undefined || verifyFunctionCall(call.name, call.args, signature)) return null;
  return refuse(`${path}: Corrupted thought signature.`, `${path}.thought_signature`);
}

/**
 * Refuses a request whose function calls lost or altered their signatures, as a Gemini 3
 * model does; null when they are all there.
 */
export function checkFunctionCallSignatures(
  contents: readonly GeminiContent[],
): RefusedRequest | null {
  const turnStart = currentTurnStart(contents);
  for (const [index, content] of contents.entries()) {
    if (content.role !== 'model') continue;
    let firstCall = true;
    for (const [partIndex, part] of content.parts.entries()) {
      if (part.functionCall === undefined) continue;
      const path = `contents[${index}].parts[${partIndex}]`;
      const corrupted = checkSignature(part, path);
      if (corrupted !== null) return corrupted;
      if (firstCall && index > turnStart && part.thoughtSignature === undefined)
        return refuse(
          `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${part.functionCall.name}\` , position ${partIndex + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
          `${path}.thought_signature`,
        );
      firstCall = false;
    }
  }
  return null;
}
