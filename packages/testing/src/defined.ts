/**
 * Returns `value`, failing the test at once when it is missing. Use it to assert the
 * precondition before asserting an absence: `expect(x && lookup(x)).toBeUndefined()` passes
 * when `x` is missing, `expect(lookup(defined(x, 'x'))).toBeUndefined()` does not.
 */
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`expected ${what}, got ${value}`);
  return value;
}
