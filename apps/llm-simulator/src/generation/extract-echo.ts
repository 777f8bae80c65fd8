/** Marker in the last user message (or prompt) that makes the reply repeat what follows it. */
export const ECHO_MARKER = 'echo:';

/**
 * The text after the first `echo:` in `text`, verbatim except for one space right after the
 * marker (`echo: hi` echoes `hi`); `null` when there is no marker.
 */
export function extractEcho(text: string): string | null {
  const at = text.indexOf(ECHO_MARKER);
  if (at < 0) return null;
  const echoed = text.slice(at + ECHO_MARKER.length);
  return echoed.startsWith(' ') ? echoed.slice(1) : echoed;
}
