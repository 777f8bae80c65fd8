import type { DocumentPart } from './content-part';

/** The media type of a plain-text document (Anthropic's `text` document source). */
export const plainTextMediaType = 'text/plain';

/**
 * The text of a plain-text document given inline, or undefined for any other document (a PDF,
 * or one by URL). A plain-text document travels in the neutral model as base64 bytes of
 * `text/plain`, like any inline document; each provider takes its text in its own way.
 */
export function plainTextOf(part: DocumentPart): string | undefined {
  if (part.source.type !== 'base64' || part.source.mediaType !== plainTextMediaType) {
    return undefined;
  }
  return Buffer.from(part.source.data, 'base64').toString('utf8');
}

/** The base64 source of a plain-text document holding `text`. */
export function plainTextSource(text: string) {
  return {
    type: 'base64' as const,
    mediaType: plainTextMediaType,
    data: Buffer.from(text, 'utf8').toString('base64'),
  };
}
