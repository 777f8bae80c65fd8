import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Every answer needs ids; filling one pool of random bytes now and then is much cheaper than a
// crypto call per id.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

/** A random alphanumeric string, as the providers' ids end with (`msg_01…`, `chatcmpl-…`). */
export function randomIdSuffix(length = 24): string {
  if (poolOffset + length > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  let suffix = '';
  // byte % 62 is slightly biased towards the first characters, which is fine for ids.
  for (let index = 0; index < length; index += 1)
    suffix += ALPHABET[pool[poolOffset + index]! % ALPHABET.length];
  poolOffset += length;
  return suffix;
}
