/**
 * How deep a request's arrays and objects may nest (the body as a whole, or one batch line).
 * Far above what a request needs (OpenAI's structured outputs allow ten levels of schema
 * nesting, about thirty of JSON), and far below where code that walks a value recursively
 * (`canonicalJson`, `JSON.stringify`, schema converters) runs out of stack: without a limit, a
 * tool's `parameters` nested 40,000 deep got a 500.
 */
export const maxJsonDepth = 128;

/**
 * Whether `value` (parsed JSON) nests arrays and objects more than `limit` levels deep (`{}`
 * is one level). Walks with its own stack, never recursion, and stops at the first node past
 * the limit: linear in the value's size, whatever its shape.
 */
export function jsonDepthExceeds(value: unknown, limit = maxJsonDepth): boolean {
  if (value === null || typeof value !== 'object') return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    if (depth > limit) return true;
    if (Array.isArray(node)) {
      for (const child of node as unknown[]) {
        if (child !== null && typeof child === 'object') {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    } else {
      // Parsed JSON has own, enumerable keys only: `for … in` reads them without a copy.
      for (const key in node) {
        const child = (node as Record<string, unknown>)[key];
        if (child !== null && typeof child === 'object') {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
  }
  return false;
}
