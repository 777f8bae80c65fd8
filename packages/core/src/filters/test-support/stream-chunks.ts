import { mulberry32 } from '../../cache/seeded-random';

/** `text` cut into deltas of 1 to `longest` characters, the same for the same seed. */
export function chunks(text: string, seed: number, longest: number): string[] {
  const next = mulberry32(seed);
  const pieces: string[] = [];
  for (let at = 0; at < text.length; ) {
    const size = 1 + Math.floor(next() * longest);
    pieces.push(text.slice(at, at + size));
    at += size;
  }
  return pieces;
}
