import type { IncomingMessage } from 'node:http';

/** Largest request body accepted, in bytes: room for 2048 long prompts in one batch. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024 * 1024;

/** The whole body of `request` as UTF-8 text, or `tooLarge` past `maxBytes` (the rest is drained). */
export async function readRequestBody(
  request: IncomingMessage,
  maxBytes = MAX_REQUEST_BODY_BYTES,
): Promise<{ ok: true; text: string } | { ok: false; tooLarge: true }> {
  const body = await readRequestBytes(request, maxBytes);
  return body.ok ? { ok: true, text: body.bytes.toString('utf8') } : body;
}

/** The whole body of `request` as bytes, or `tooLarge` past `maxBytes` (the rest is drained). */
export function readRequestBytes(
  request: IncomingMessage,
  maxBytes = MAX_REQUEST_BODY_BYTES,
): Promise<{ ok: true; bytes: Buffer } | { ok: false; tooLarge: true }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > maxBytes) resolve({ ok: false, tooLarge: true });
      else resolve({ ok: true, bytes: Buffer.concat(chunks, size) });
    });
    request.on('error', reject);
  });
}

/** `text` parsed as JSON, or the parser's complaint. */
export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}
