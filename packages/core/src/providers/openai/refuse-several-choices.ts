import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { GenerateRequest } from '../language-model';

/**
 * Refuses `n` > 1: a GenerateResult carries one answer, so the other choices would be lost.
 * (Several answers are a later step of issue #16.)
 */
export function refuseSeveralChoices(request: GenerateRequest, modelId: string): void {
  if (request.n !== undefined && request.n > 1) {
    throw new UnsupportedParameterError(
      'n',
      modelId,
      '(more than one answer) is not supported yet for',
    );
  }
}
