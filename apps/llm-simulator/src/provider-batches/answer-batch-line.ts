import { createHash } from 'node:crypto';
import { describeValidationError } from '../model-call/describe-validation-error';
import type { SimulatedError } from '../model-call/dialect';
import type { ModelRoute } from '../model-call/model-route';
import { isSimulatedModelName } from '../profiles/model-profile';
import type { ModelProfiles } from '../profiles/model-profiles';
import type { PromptCache } from '../prompt-cache/prompt-cache';

/** How one line of a provider batch ended. */
export type LineOutcome =
  /** Answered: `body` is the JSON the model route would have answered. */
  | { kind: 'succeeded'; body: string; inputTokens: number; outputTokens: number }
  /** Refused or failed: the error the model route would have answered. */
  | { kind: 'errored'; error: SimulatedError }
  /** Not run: its batch was cancelled first. */
  | { kind: 'canceled' }
  /** Not run: its batch expired first. */
  | { kind: 'expired' };

/** What answering a line may consult. */
export interface LineContext {
  profiles: ModelProfiles;
  promptCache: PromptCache;
  /** Rate of lines failing with a 500 (see `BatchSettings.lineFailureRate`). */
  failureRate: number;
  /** Seeds the failure draw, so the same batch and line always draw the same. */
  seed: string;
}

/**
 * Answers one batch line as its model route answers a call: the same validation, refusals and
 * body; streaming is refused, as the providers refuse it in a batch.
 */
export function answerBatchLine<Request extends { model: string }>(
  route: ModelRoute<Request>,
  body: unknown,
  context: LineContext,
): LineOutcome {
  const { dialect } = route;
  const parsed = route.requestSchema.safeParse(body);
  if (!parsed.success)
    return { kind: 'errored', error: describeValidationError(parsed.error, dialect) };
  const request = parsed.data;
  if ('stream' in request && request.stream === true) {
    return {
      kind: 'errored',
      error: { status: 400, message: 'Streaming is not supported in batches.', param: 'stream' },
    };
  }
  if (!isSimulatedModelName(request.model)) {
    return {
      kind: 'errored',
      error: {
        status: 404,
        message: `The model \`${request.model}\` does not exist: the simulator only serves models named sim-*.`,
        param: 'model',
        code: 'model_not_found',
      },
    };
  }
  if (context.failureRate > 0 && drawUnit(context.seed) < context.failureRate) {
    return {
      kind: 'errored',
      error: {
        status: 500,
        message: 'The server had an error while processing your request. Sorry about that!',
        code: 'server_error',
      },
    };
  }
  const profile = context.profiles.resolve(request.model);
  const answer = route.answer(request, { profile, promptCache: context.promptCache });
  if ('refused' in answer) return { kind: 'errored', error: answer.refused };
  answer.onAnswered?.();
  return {
    kind: 'succeeded',
    body: answer.renderBody(),
    inputTokens: answer.inputTokens,
    outputTokens: answer.outputTokens,
  };
}

/** A number in [0, 1) fixed by `seed`. */
function drawUnit(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0) / 2 ** 32;
}
