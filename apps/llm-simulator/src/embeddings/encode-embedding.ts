/**
 * An embedding as the OpenAI API sends it with `encoding_format: 'base64'`: little-endian
 * float32 values, base64-encoded.
 */
export function encodeEmbeddingBase64(embedding: Float32Array): string {
  const bytes = Buffer.allocUnsafe(embedding.length * 4);
  for (let index = 0; index < embedding.length; index += 1) {
    bytes.writeFloatLE(embedding[index]!, index * 4);
  }
  return bytes.toString('base64');
}
