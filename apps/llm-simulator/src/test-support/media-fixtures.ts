/** Base64 of the start of a PNG of `width` × `height`: signature and header, all the simulator reads. */
export function pngHeaderBase64(width: number, height: number): string {
  const bytes = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes, 0);
  bytes.writeUInt32BE(13, 8);
  bytes.write('IHDR', 12, 'latin1');
  bytes.writeUInt32BE(width, 16);
  bytes.writeUInt32BE(height, 20);
  bytes.writeUInt8(8, 24);
  bytes.writeUInt8(6, 25);
  return bytes.toString('base64');
}

/** Base64 of a skeletal PDF with `pages` page objects. */
export function pdfBase64(pages: number): string {
  let text =
    '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages >> endobj\n';
  for (let page = 0; page < pages; page += 1)
    text += `${page + 3} 0 obj << /Type /Page /Parent 2 0 R >> endobj\n`;
  return Buffer.from(`${text}%%EOF\n`, 'latin1').toString('base64');
}
