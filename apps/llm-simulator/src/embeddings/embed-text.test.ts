import { cosineSimilarity, embedText, normalizeForEmbedding } from './embed-text';
import { encodeEmbeddingBase64 } from './encode-embedding';

describe('embedText', () => {
  it('is deterministic, L2-normalised and sized by dimensions', () => {
    const embedding = embedText('Queues smooth bursts of work.');
    expect(embedding).toEqual(embedText('Queues smooth bursts of work.'));
    expect(embedding).toHaveLength(256);
    expect(Math.hypot(...embedding)).toBeCloseTo(1, 5);
    expect(embedText('x', 32)).toHaveLength(32);
    expect(Array.from(embedText('', 8))).toEqual(new Array(8).fill(0));
  });

  it('places near-paraphrases together and unrelated texts apart', () => {
    const similarity = (left: string, right: string) =>
      cosineSimilarity(embedText(left), embedText(right));
    expect(normalizeForEmbedding("What's the capital of France?")).toBe(
      'what is the capital of france',
    );
    expect(
      similarity('What is the capital of France?', "what's the capital of france"),
    ).toBeGreaterThan(0.9);
    expect(
      similarity('How do I reset my password?', 'how do i reset my password please'),
    ).toBeGreaterThan(0.8);
    expect(
      similarity('What is the capital of France?', 'How do I bake a chocolate cake?'),
    ).toBeLessThan(0.5);
    expect(
      similarity('The quick brown fox jumps over the lazy dog', 'Quantum computing uses qubits'),
    ).toBeLessThan(0.5);
  });

  it('encodes base64 as little-endian float32', () => {
    const embedding = embedText('hello', 4);
    const bytes = Buffer.from(encodeEmbeddingBase64(embedding), 'base64');
    expect(bytes).toHaveLength(16);
    expect([0, 1, 2, 3].map((index) => bytes.readFloatLE(index * 4))).toEqual(
      Array.from(embedding),
    );
  });
});
