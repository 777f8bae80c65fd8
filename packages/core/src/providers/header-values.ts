/**
 * Reads one response header by name (case-insensitive). A header the answer repeats reads as its
 * values joined with `, ` (RFC 9110 §5.3), as fetch's `Headers` (which the SDKs' errors carry)
 * and node:http give it: a request id repeated by a gateway keeps both ids.
 */
export type HeaderReader = (name: string) => string | null | undefined;

/**
 * A day name opening an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`, or RFC 850's `Sunday,
 * 06-Nov-94 …`), whose comma is no separator.
 */
const dayName = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*$/i;

/**
 * The members of a header value read as a list (a repeated header's values, or one value with
 * commas), trimmed, empty ones left out. The comma after an HTTP-date's day name is kept inside
 * its member.
 */
export function headerListMembers(value: string | null | undefined): string[] {
  if (!value) return [];
  const parts = value.split(',');
  const members: string[] = [];
  for (let index = 0; index < parts.length; index += 1) {
    let member = (parts[index] as string).trim();
    if (dayName.test(member) && index + 1 < parts.length) {
      index += 1;
      member = `${member}, ${(parts[index] as string).trim()}`;
    }
    if (member !== '') members.push(member);
  }
  return members;
}

/**
 * The most cautious reading of a header that should hold one number but may come repeated (a
 * gateway's value beside the provider's): each member read by `parse`, then the largest
 * (`max`: waits, reset times) or the smallest (`min`: what is left of a limit). Undefined
 * when no member reads.
 */
export function cautiousHeaderNumber(
  value: string | null | undefined,
  parse: (member: string) => number | undefined,
  pick: 'max' | 'min',
): number | undefined {
  let chosen: number | undefined;
  for (const member of headerListMembers(value)) {
    const number = parse(member);
    if (number === undefined) continue;
    if (chosen === undefined || (pick === 'max' ? number > chosen : number < chosen)) {
      chosen = number;
    }
  }
  return chosen;
}

/** A count left under a limit (`x-ratelimit-remaining-*`): the smallest a repeated header gives. */
export function remainingCount(value: string | null | undefined): number | undefined {
  return cautiousHeaderNumber(
    value,
    (member) => {
      const count = Number(member);
      return Number.isFinite(count) && count >= 0 ? count : undefined;
    },
    'min',
  );
}
