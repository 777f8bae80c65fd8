import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Argument = string | number;

/**
 * A Lua script run by its SHA (EVALSHA), loaded on first use or after a Redis restart
 * (NOSCRIPT). Saves sending the script body on every call of the hot path.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: Argument[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.includes('NOSCRIPT')) {
        return redis.eval(this.source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }

  /** Like {@link run}, with binary-safe replies (Buffers instead of strings). */
  async runBuffer(redis: Redis, keys: string[], args: Array<Argument | Buffer>): Promise<unknown> {
    try {
      return await redis.callBuffer('EVALSHA', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (error instanceof Error && error.message.includes('NOSCRIPT')) {
        return redis.callBuffer('EVAL', this.source, keys.length, ...keys, ...args);
      }
      throw error;
    }
  }
}
