import { TokenTally } from '@llmq/tokenizer';
import { type DetectorId, detect, detectorPlaceholders, replaceSpans } from './detectors';
import type { FilterAction, FilterPolicy, StagePolicy } from './filter-policy';

export type FilterStage = 'input' | 'output';

/**
 * What a filter found, as recorded on the job. Holds counts and where, never the matched
 * text (that would copy the very data the filter protects into the job record).
 */
export interface FilterFinding {
  stage: FilterStage;
  detector: DetectorId | 'size_limit';
  action: Exclude<FilterAction, 'off'>;
  /** Matches of this detector in this part. */
  count: number;
  /** Which part: `messages[2]` for input, `text` for output. */
  location: string;
}

/** The verdict on a set of texts. `texts` are the texts to use (redacted where asked). */
export interface FilterVerdict {
  blocked: boolean;
  /** A human sentence naming the first blocking detector; set when `blocked`. */
  reason?: string;
  findings: FilterFinding[];
  texts: string[];
}

/** One text to inspect and where it sits (for the finding's `location`). */
export interface FilterPart {
  location: string;
  text: string;
}

const detectorLabels: Record<DetectorId, string> = {
  email: 'an email address',
  phone: 'a phone number',
  credit_card: 'a credit-card number',
  iban: 'an IBAN',
  secret: 'a secret (API key, token or private key)',
  prompt_injection: 'a prompt-injection attempt',
};

/** Enabled detectors per stage policy: a policy is parsed once and read by every request. */
const enabledByPolicy = new WeakMap<StagePolicy['detectors'], ReadonlySet<DetectorId>>();

function enabledDetectors(policy: StagePolicy): ReadonlySet<DetectorId> {
  let enabled = enabledByPolicy.get(policy.detectors);
  if (enabled !== undefined) return enabled;
  const ids = new Set<DetectorId>();
  for (const [id, action] of Object.entries(policy.detectors)) {
    if (action !== 'off') ids.add(id as DetectorId);
  }
  enabled = ids;
  enabledByPolicy.set(policy.detectors, enabled);
  return enabled;
}

/** Runs one stage's detectors over the parts and applies the policy's actions. */
export function inspectParts(
  stage: FilterStage,
  parts: readonly FilterPart[],
  policy: StagePolicy,
): FilterVerdict {
  const enabled = enabledDetectors(policy);
  const findings: FilterFinding[] = [];
  const texts: string[] = [];
  let reason: string | undefined;
  for (const part of parts) {
    const matches = detect(part.text, enabled);
    if (matches.length === 0) {
      texts.push(part.text);
      continue;
    }
    const counts = new Map<DetectorId, number>();
    for (const match of matches) counts.set(match.detector, (counts.get(match.detector) ?? 0) + 1);
    for (const [detector, count] of counts) {
      const action = policy.detectors[detector];
      if (action === 'off') continue;
      findings.push({ stage, detector, action, count, location: part.location });
      if (action === 'block' && reason === undefined) {
        reason = `the ${stage === 'input' ? 'request' : 'answer'} contains ${detectorLabels[detector]} (${part.location})`;
      }
    }
    const redacted = matches.filter((match) => policy.detectors[match.detector] === 'redact');
    texts.push(replaceSpans(part.text, redacted, (match) => detectorPlaceholders[match.detector]));
  }
  return { blocked: reason !== undefined, reason, findings, texts };
}

/**
 * The input filter (before enqueue): size limits in characters and tokens, then the detectors.
 * A size limit always blocks.
 */
export function inspectInput(parts: readonly FilterPart[], policy: FilterPolicy): FilterVerdict {
  const characters = parts.reduce((sum, part) => sum + part.text.length, 0);
  const sizeFinding = (limit: string): FilterVerdict => ({
    blocked: true,
    reason: limit,
    findings: [
      { stage: 'input', detector: 'size_limit', action: 'block', count: 1, location: 'messages' },
    ],
    texts: parts.map((part) => part.text),
  });
  if (characters > policy.input.max_characters) {
    return sizeFinding(
      `the request has ${characters} characters; the limit is ${policy.input.max_characters}`,
    );
  }
  // A byte-level tokenizer makes at most one token per UTF-8 byte, so counting (the costly
  // part) is skipped when the text cannot reach the limit.
  const bytes = parts.reduce((sum, part) => sum + Buffer.byteLength(part.text), 0);
  if (bytes > policy.input.max_tokens) {
    const tally = new TokenTally();
    const tokens = parts.reduce((sum, part) => sum + tally.count(part.text), 0);
    if (tokens > policy.input.max_tokens) {
      return sizeFinding(
        `the request has ${tokens} tokens; the limit is ${policy.input.max_tokens}`,
      );
    }
  }
  return inspectParts('input', parts, policy.input);
}

/**
 * The output filter (after the provider call, before the result is stored). A blocked answer
 * fails the job and must never be cached: `cacheable` says whether a cache may keep it.
 */
export function inspectOutput(
  text: string | readonly FilterPart[],
  policy: FilterPolicy,
): FilterVerdict & { cacheable: boolean } {
  const parts = typeof text === 'string' ? [{ location: 'text', text }] : text;
  const verdict = inspectParts('output', parts, policy.output);
  // Set on the verdict just made, not on a spread copy (a copy given a new key gets a hidden
  // class of its own on Node 20: ~1 µs, and slow reads of it after).
  return Object.assign(verdict, { cacheable: !verdict.blocked });
}
