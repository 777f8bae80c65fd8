import type { FaultProfile } from '../profiles/model-profile';
import type { FaultKind } from './fault-kind';
import type { FaultHeaders } from './read-fault-headers';

/** The fault a request's `x-sim-fault` header injects this time, if any. */
export function drawHeaderFault(
  headers: FaultHeaders,
  random: () => number = Math.random,
): FaultKind | null {
  if (headers.fault === null) return null;
  if (headers.faultRate >= 1) return headers.fault;
  return random() < headers.faultRate ? headers.fault : null;
}

const PROFILE_FAULTS: ReadonlyArray<readonly [keyof FaultProfile, FaultKind]> = [
  ['status400', '400'],
  ['status429', '429'],
  ['status500', '500'],
  ['status503', '503'],
  ['status529', '529'],
  ['hang', 'hang'],
  ['cutStream', 'cut-stream'],
  ['malformed', 'malformed'],
];

/**
 * The fault a model's profile injects this time, if any: one draw, laid over the rates in
 * order, so rates of 0.1 and 0.2 fault 10 % and 20 % of requests.
 */
export function drawProfileFault(
  faults: FaultProfile,
  random: () => number = Math.random,
): FaultKind | null {
  let threshold = 0;
  let draw: number | undefined;
  for (const [field, kind] of PROFILE_FAULTS) {
    const rate = faults[field];
    if (rate <= 0) continue;
    draw ??= random();
    threshold += rate;
    if (draw < threshold) return kind;
  }
  return null;
}
