import { UnsupportedParameterError } from '../../messages/unsupported-parameter-error';
import type { GenerateRequest } from '../language-model';

/**
 * Refuses `n` > 1 on a stream: stream parts carry one answer, so the other choices would be
 * lost. (A non-streamed call returns them as `otherChoices`.)
 */
export function refuseSeveralStreamedChoices(request: GenerateRequest, modelId: string): void {
  if (request.n !== undefined && request.n > 1) {
    throw new UnsupportedParameterError(
      'n',
      modelId,
      '(more than one answer) cannot be streamed from',
    );
  }
}
