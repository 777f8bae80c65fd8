/**
 * `make`, run once, on the first call of the function returned: how an account's SDK client
 * (and the SDK package with it) is made on the account's first provider call, not at startup.
 */
export function onFirstUse<Value>(make: () => Value): () => Value {
  let made: { value: Value } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}
