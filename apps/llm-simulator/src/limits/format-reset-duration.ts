/**
 * A duration as OpenAI writes it in `x-ratelimit-reset-*` headers: `250ms`, `1s`, `1.5s`,
 * `6m0s`.
 */
export function formatResetDuration(milliseconds: number): string {
  const rounded = Math.max(0, Math.ceil(milliseconds));
  if (rounded < 1000) return `${rounded}ms`;
  const totalSeconds = rounded / 1000;
  if (totalSeconds < 60) return `${trimDecimals(totalSeconds)}s`;
  const minutes = Math.floor(totalSeconds / 60);
  return `${minutes}m${trimDecimals(totalSeconds - minutes * 60)}s`;
}

function trimDecimals(seconds: number): string {
  return String(Math.round(seconds * 1000) / 1000);
}
