import type { ImageSize } from './image-size';

/**
 * OpenAI's published rule for an image's input tokens: 85 for `detail: "low"`; otherwise the
 * image is scaled to fit 2048×2048, then its shortest side to 768 px, and costs 85 plus 170
 * per 512-px tile.
 */
export function openAiImageTokens(size: ImageSize, detail: 'auto' | 'low' | 'high'): number {
  if (detail === 'low') return 85;
  let { width, height } = size;
  const fit = Math.min(1, 2048 / Math.max(width, height));
  width *= fit;
  height *= fit;
  const shorten = Math.min(1, 768 / Math.min(width, height));
  width *= shorten;
  height *= shorten;
  return 85 + 170 * Math.ceil(width / 512) * Math.ceil(height / 512);
}

/**
 * Anthropic's published rule: an image whose long edge exceeds 1568 px is scaled down to it,
 * then costs width × height / 750 tokens (rounded up).
 */
export function anthropicImageTokens(size: ImageSize): number {
  const scale = Math.min(1, 1568 / Math.max(size.width, size.height));
  return Math.ceil((size.width * scale * (size.height * scale)) / 750);
}

/** Input tokens per PDF page, for both providers (each counts a page's text and its image). */
export const TOKENS_PER_PDF_PAGE = 1500;

/** Pages of a base64 PDF: its `/Type /Page` objects, at least 1. */
export function countPdfPages(base64: string): number {
  const text = Buffer.from(base64, 'base64').toString('latin1');
  const pages = text.match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
  return Math.max(1, pages);
}
