/** A `data:` URL split into its media type and base64 payload. */
export interface DataUrl {
  mediaType: string;
  base64: string;
}

/** Parses `data:<media type>;base64,<data>`; `null` for anything else. */
export function parseDataUrl(url: string): DataUrl | null {
  const match = /^data:([a-z]+\/[a-z0-9.+-]+);base64,/i.exec(url.slice(0, 200));
  if (match === null) return null;
  return { mediaType: match[1]!.toLowerCase(), base64: url.slice(match[0].length) };
}
