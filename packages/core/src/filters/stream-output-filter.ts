import type { TokenLogprob } from '../messages/chat-result';
import type { ContentStreamPart } from '../messages/stream-answer';
import { choiceOf } from '../messages/stream-part';
import {
  type DetectorId,
  type DetectorMatch,
  detect,
  detectorPlaceholders,
  replaceSpans,
} from './detectors';
import type { StagePolicy } from './filter-policy';
import {
  cleanBreakBefore,
  isGroupCharacter,
  isGrouped,
  isJsonBreakCode,
  isWhitespaceCode,
  MAX_BACK,
} from './stream-breaks';

/**
 * How far back a match that spans several words may start: a card number with separators
 * (25 characters at most), an IBAN in groups (42), a phone number (about 20).
 */
const GROUPED_HOLD = 48;
/** How far back a prompt-injection phrase may start (its patterns span about 110 characters). */
const PHRASE_HOLD = 128;

type DeltaPart = Extract<
  ContentStreamPart,
  { type: 'text-delta' } | { type: 'reasoning-delta' } | { type: 'tool-call-delta' }
>;

/** One text being streamed: a choice's text, its reasoning, or one tool call's arguments. */
interface Channel {
  /** `text`, `reasoning` or `tool:<index>`. */
  key: string;
  /** The first part, whose fields (choice, tool index) each released part copies. */
  template: DeltaPart;
  /**
   * A tool call's arguments: they carry no logprobs, so a release may end inside a delta (and
   * a scan that must start far back waits for as much new text, see {@link nextScanAt}).
   */
  arguments: boolean;
  /**
   * The text from a clean break at or before `released` to its end: what the next scan reads.
   * Offsets below are into the whole text; `tail` starts at `tailStart`.
   */
  tail: string;
  tailStart: number;
  /** The whole text's length. */
  end: number;
  /** The last {@link RECENT} characters, where the hold point is looked for. */
  recent: string;
  /** How much of the text went out. */
  released: number;
  /** Where each delta not yet released ends, ascending, with its tokens' logprobs. */
  pending: Array<{ end: number; logprobs?: TokenLogprob[] }>;
  /**
   * Index of the text's last break character (-1: none): whitespace or JSON punctuation (see
   * `stream-breaks.ts`).
   */
  lastBreak: number;
  /** A blocking detector matched: nothing more of this text goes out. */
  blocked: boolean;
  /**
   * The length the text must reach before the next scan, after a scan that could release
   * nothing (a match still growing across spaces, such as a private key block): the wait
   * doubles with the text held, so a long held text is scanned a few times, not per delta.
   * In a tool call's arguments, also after a release whose next scan starts far back.
   */
  nextScanAt: number;
}

/**
 * Characters kept to find the hold point in: more than {@link GROUPED_HOLD}, and where an
 * unfinished PEM header (`-----BEGIN … PRIVATE KEY-----`, under 64 characters) is looked for.
 */
const RECENT = 64;

/**
 * The output filter applied to a stream as it goes: each text is released to the client a
 * little behind the model, redacted as the policy says, so a card number, a key or an address
 * the policy redacts never reaches a streaming client. What is held back is only what may
 * still grow into a match: the word being written (an address, a key, a token is one word;
 * a word also ends at JSON punctuation, so a tool call's arguments and a structured answer's
 * JSON stream a JSON token or so behind the model), and, for the detectors whose matches span words, the run of
 * digits, capitals and separators at the end (cards, IBANs, phones: {@link GROUPED_HOLD}),
 * the last {@link PHRASE_HOLD} characters (prompt-injection phrases) or an unfinished PEM
 * header. Ordinary prose streams one word behind the model. Once a blocking detector matches,
 * that text stops: the job's whole-answer filter then fails it with `output_rejected`. Work
 * per delta is bounded: nothing is scanned while nothing can go out, and a text held whole (a
 * match still growing across lines) is scanned again only once it doubled.
 *
 * Released text is whole deltas (so their token logprobs stay with them, dropped from a piece
 * that was redacted); a tool call's arguments, which carry no logprobs, may be cut inside a
 * delta (never inside a surrogate pair), so they stream at JSON punctuation even when the
 * provider's deltas end inside JSON tokens. Another part of a choice (a tool call's start, a signature) first
 * releases what that choice holds, so the order of a choice's parts is kept; the stream's end
 * releases everything. Each scan starts at a clean break (see `stream-breaks.ts`), where a
 * scan of the whole text arrives with nothing carried over, so the texts the client streamed
 * are the stored result's, which is still filtered over the whole answer. Two exceptions, both
 * outside the default policy's shapes: a run of digits, capitals and single separators longer
 * than `MAX_BACK` (256) characters, and a prompt-injection phrase spanning a scan's start.
 */
export class StreamOutputFilter {
  /** The detectors that change what goes out (redact or block). */
  private readonly enabled: ReadonlySet<DetectorId>;
  /**
   * The detectors a scan runs: every one the policy does not turn off, as the whole-answer
   * filter runs them, so overlapping matches resolve the same way (a flagged match can win).
   */
  private readonly scanned: ReadonlySet<DetectorId>;
  /** Cards, IBANs or phones are redacted or blocked: runs of digits and capitals are held. */
  private readonly holdsGroups: boolean;
  /** Per choice, the text it is streaming now. */
  private readonly channels = new Map<number, Channel>();
  /** The choices a blocking match stopped a text of: their end is not passed on. */
  private readonly blockedChoices = new Set<number>();
  /** Characters the detectors read so far: what a stream's filtering costs. */
  scannedCharacters = 0;

  private constructor(private readonly policy: StagePolicy) {
    this.scanned = new Set(
      (Object.entries(policy.detectors) as Array<[DetectorId, string]>)
        .filter(([, action]) => action !== 'off')
        .map(([id]) => id),
    );
    this.enabled = new Set(
      (Object.entries(policy.detectors) as Array<[DetectorId, string]>)
        .filter(([, action]) => action === 'redact' || action === 'block')
        .map(([id]) => id),
    );
    this.holdsGroups = ['credit_card', 'iban', 'phone'].some((id) =>
      this.enabled.has(id as DetectorId),
    );
  }

  /** A filter for the output policy, or undefined when it changes nothing (only flags). */
  static for(policy: StagePolicy | undefined): StreamOutputFilter | undefined {
    if (policy === undefined) return undefined;
    const filter = new StreamOutputFilter(policy);
    return filter.enabled.size > 0 ? filter : undefined;
  }

  /** The parts to send for `part`, in order: none while its text is held back. */
  push(part: ContentStreamPart): ContentStreamPart[] {
    const choice = choiceOf(part);
    if (part.type === 'choice-end') {
      // An `n` > 1 answer ends after all it holds; one whose text a blocking match stopped
      // does not end cleanly (its job fails with `output_rejected`).
      const released = this.close(choice);
      return this.blockedChoices.has(choice) ? released : [...released, part];
    }
    const key = channelKey(part);
    if (key === undefined) return [...this.close(choice), part];
    let channel = this.channels.get(choice);
    const released: ContentStreamPart[] = [];
    if (channel !== undefined && channel.key !== key) {
      released.push(...this.close(choice));
      channel = undefined;
    }
    if (channel === undefined) {
      channel = {
        key,
        template: part as DeltaPart,
        arguments: part.type === 'tool-call-delta',
        tail: '',
        tailStart: 0,
        end: 0,
        recent: '',
        released: 0,
        pending: [],
        lastBreak: -1,
        blocked: false,
        nextScanAt: 0,
      };
      this.channels.set(choice, channel);
    }
    const delta = deltaOf(part as DeltaPart);
    for (let index = delta.length - 1; index >= 0; index--) {
      const code = delta.charCodeAt(index);
      if (isWhitespaceCode(code) || isJsonBreakCode(code)) {
        channel.lastBreak = channel.end + index;
        break;
      }
    }
    channel.tail += delta;
    channel.end += delta.length;
    channel.recent = (channel.recent + delta).slice(-RECENT);
    const logprobs = part.type === 'text-delta' ? part.logprobs : undefined;
    channel.pending.push({ end: channel.end, ...(logprobs ? { logprobs } : {}) });
    released.push(...this.release(channel, false));
    return released;
  }

  /** At the stream's end: what every choice still holds, redacted, choice by choice. */
  finish(): ContentStreamPart[] {
    const released: ContentStreamPart[] = [];
    for (const choice of [...this.channels.keys()].sort((a, b) => a - b))
      released.push(...this.close(choice));
    return released;
  }

  /** Releases all a choice holds (its text is complete) and forgets it. */
  private close(choice: number): ContentStreamPart[] {
    const channel = this.channels.get(choice);
    if (channel === undefined) return [];
    this.channels.delete(choice);
    const released = this.release(channel, true);
    if (channel.blocked) this.blockedChoices.add(choice);
    return released;
  }

  /** Where what may still grow into a match begins: nothing from there on goes out yet. */
  private holdPoint({ end, recent, lastBreak }: Channel): number {
    const recentStart = end - recent.length;
    // The word being written: an address, a key or a token is one word (a word ends at JSON
    // punctuation too: a quote, a comma, a brace …). A match may start inside it, right after
    // an escape such as `\n` (`json-escapes.ts`): held too.
    let hold = lastBreak + 1;
    if (this.holdsGroups && end - hold <= GROUPED_HOLD && isGrouped(recent, hold - recentStart)) {
      // A card, IBAN or phone number being written spans words of digits and capitals.
      while (
        hold > recentStart &&
        end - hold < GROUPED_HOLD &&
        isGroupCharacter(recent.charCodeAt(hold - recentStart - 1))
      )
        hold--;
    }
    if (this.enabled.has('prompt_injection')) hold = Math.min(hold, end - PHRASE_HOLD);
    if (this.enabled.has('secret')) {
      const header = recent.indexOf('-----BEGIN');
      if (header !== -1) hold = Math.min(hold, recentStart + header);
    }
    return hold;
  }

  /** What of `channel` may go out now: all of it when `final`. */
  private release(channel: Channel, final: boolean): ContentStreamPart[] {
    if (channel.blocked) return [];
    const { tail, tailStart, end, released } = channel;
    let limit = end;
    if (!final) {
      limit = this.holdPoint(channel);
      // Nothing to scan for while nothing that may go out lies before the hold point.
      if (end < channel.nextScanAt || cutBefore(channel, limit).cut === released) return [];
    }
    // `tail` starts at a clean break, where a scan of the whole text arrives with nothing
    // carried over: it finds there what the whole text's scan finds.
    this.scannedCharacters += tail.length;
    // A match starting before `released` went out with what was released then: the scan that
    // released it saw it whole (a match is never cut), so it is not judged again.
    const found = detect(tail, this.scanned);
    const matches: DetectorMatch[] = [];
    for (const match of found) {
      const start = match.start + tailStart;
      if (start >= released) matches.push({ ...match, start, end: match.end + tailStart });
    }
    let cut = end;
    let taken = channel.pending.length;
    if (!final) {
      // Released text ends where a delta ends (in a tool call's arguments, anywhere), never
      // inside a match, and leaves out a match that touches the end (it may still grow).
      for (const match of matches) if (match.end === end) limit = Math.min(limit, match.start);
      ({ cut, taken } = cutBefore(channel, limit));
      for (let inside = matchAround(matches, cut); inside; inside = matchAround(matches, cut))
        ({ cut, taken } = cutBefore(channel, inside.start));
      if (cut === released) {
        channel.nextScanAt = end + Math.max(GROUPED_HOLD, end - released);
        return [];
      }
    }
    const spans: DetectorMatch[] = [];
    for (const match of matches) {
      if (match.start >= cut) continue;
      const action = this.policy.detectors[match.detector];
      if (action === 'block') {
        channel.blocked = true;
        return [];
      }
      if (action !== 'redact') continue;
      spans.push({ ...match, start: match.start - released, end: match.end - released });
    }
    const text = replaceSpans(
      tail.slice(released - tailStart, cut - tailStart),
      spans,
      (span) => detectorPlaceholders[span.detector],
    );
    const deltas = channel.pending.splice(0, taken);
    channel.released = cut;
    const nextStart = nextScanStart(tail, tailStart, cut, found);
    // Arguments may go out at any delta, so a next scan reading far back (no clean break near
    // the cut: a long run of digits and capitals) waits for as much new text: a scan per
    // delta would read that run again each time.
    channel.nextScanAt = channel.arguments ? cut + Math.min(cut - nextStart, MAX_BACK) : 0;
    channel.tail = tail.slice(nextStart - tailStart);
    channel.tailStart = nextStart;
    if (text === '') return [];
    const logprobs =
      spans.length === 0 && deltas.every((delta) => delta.logprobs !== undefined)
        ? deltas.flatMap((delta) => delta.logprobs ?? [])
        : undefined;
    return [withDelta(channel.template, text, logprobs)];
  }
}

/**
 * Where the next scan starts: the last clean break at or before `cut` (see `stream-breaks.ts`)
 * that lies inside no match of this scan (`found`, offsets into `tail`). A private key block
 * (or an injection phrase) may cross a clean break; a scan starting inside a block released
 * whole would not see it, and would let an address or a number begun inside it win over a
 * match after it that the whole text's scan keeps. Matches are sorted and do not overlap, so
 * one backward pass finds every match the start has to move before.
 */
function nextScanStart(
  tail: string,
  tailStart: number,
  cut: number,
  found: readonly DetectorMatch[],
): number {
  let start = cleanBreakBefore(tail, tailStart, cut);
  for (let index = found.length - 1; index >= 0; index--) {
    const match = found[index] as DetectorMatch;
    const matchStart = match.start + tailStart;
    if (match.end + tailStart <= start) break;
    if (matchStart < start) start = cleanBreakBefore(tail, tailStart, matchStart);
  }
  return start;
}

/**
 * Where a release may stop, at or before `limit`, and how many pending deltas it completes:
 * the last delta end (a text delta's tokens keep their logprobs), or in a tool call's
 * arguments, which carry none, `limit` itself (so arguments stream at JSON punctuation however
 * the provider cut them), moved off the middle of a surrogate pair.
 */
function cutBefore(channel: Channel, limit: number): { cut: number; taken: number } {
  let cut = channel.released;
  let taken = 0;
  for (const [index, delta] of channel.pending.entries()) {
    if (delta.end > limit) break;
    cut = delta.end;
    taken = index + 1;
  }
  if (channel.arguments && limit > cut) {
    const at = limit - channel.tailStart;
    const splitsPair =
      isLowSurrogate(channel.tail.charCodeAt(at)) &&
      isHighSurrogate(channel.tail.charCodeAt(at - 1));
    cut = Math.max(cut, splitsPair ? limit - 1 : limit);
  }
  return { cut, taken };
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

function matchAround(matches: readonly DetectorMatch[], at: number): DetectorMatch | undefined {
  return matches.find((match) => match.start < at && match.end > at);
}

function channelKey(part: ContentStreamPart): string | undefined {
  if (part.type === 'text-delta') return 'text';
  if (part.type === 'reasoning-delta') return 'reasoning';
  if (part.type === 'tool-call-delta') return `tool:${part.index}`;
  return undefined;
}

function deltaOf(part: DeltaPart): string {
  return part.type === 'tool-call-delta' ? part.argumentsDelta : part.delta;
}

function withDelta(
  template: DeltaPart,
  text: string,
  logprobs?: TokenLogprob[],
): ContentStreamPart {
  const choice = template.choice !== undefined ? { choice: template.choice } : {};
  if (template.type === 'tool-call-delta')
    return { type: 'tool-call-delta', index: template.index, argumentsDelta: text, ...choice };
  if (template.type === 'reasoning-delta')
    return { type: 'reasoning-delta', delta: text, ...choice };
  return { type: 'text-delta', delta: text, ...(logprobs ? { logprobs } : {}), ...choice };
}
