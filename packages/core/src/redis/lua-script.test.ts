import { randomUUID } from 'node:crypto';
import { type PrivateRedis, startPrivateRedis } from '@llmq/testing';
import { Redis } from 'ioredis';
import { LuaScript } from './lua-script';

// A redis-server of this file's own: its script cache and command counts are read and
// flushed, and it is restarted, none of which a test may do to the shared Redis.
let server: PrivateRedis;
let port: number;
let redis: Redis;
let observer: Redis;

/** Calls of `EVAL` and `EVALSHA`, and `NOSCRIPT` errors, since the last reset. */
async function scriptCommands(): Promise<{ eval: number; evalsha: number; noscript: number }> {
  const count = (info: string, name: string) =>
    Number(new RegExp(`^${name}:(?:calls|count)=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  const [commands, errors] = await Promise.all([
    observer.info('commandstats'),
    observer.info('errorstats'),
  ]);
  return {
    eval: count(commands, 'cmdstat_eval'),
    evalsha: count(commands, 'cmdstat_evalsha'),
    noscript: count(errors, 'errorstat_NOSCRIPT'),
  };
}

/** A script no other test sends: its first run finds Redis without it. */
function freshScript(): LuaScript {
  return new LuaScript(`-- ${randomUUID()}
return {KEYS[1], ARGV[1]}`);
}

beforeAll(async () => {
  server = await startPrivateRedis('off');
  port = server.port;
});
beforeEach(async () => {
  redis = new Redis(port, '127.0.0.1', { retryStrategy: () => 50 });
  observer = new Redis(port, '127.0.0.1', { retryStrategy: () => 50 });
  await observer.config('RESETSTAT');
});
afterEach(() => {
  redis.disconnect();
  observer.disconnect();
});
afterAll(() => server.destroy());

describe('LuaScript', () => {
  it('sends the script once per connection when many first runs go out at once', async () => {
    const script = freshScript();
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, index) => script.run(redis, ['k'], [index])),
    );
    expect(replies).toEqual(Array.from({ length: 50 }, (_, index) => ['k', String(index)]));
    expect(await scriptCommands()).toEqual({ eval: 1, evalsha: 49, noscript: 0 });
  });

  it('sends it again on each other connection, which has not sent it', async () => {
    const script = freshScript();
    await script.run(redis, ['k'], [1]);
    const other = new Redis(port, '127.0.0.1');
    try {
      expect(await script.run(other, ['k'], [2])).toEqual(['k', '2']);
      expect(await script.run(other, ['k'], [3])).toEqual(['k', '3']);
    } finally {
      other.disconnect();
    }
    expect(await scriptCommands()).toEqual({ eval: 2, evalsha: 1, noscript: 0 });
  });

  it('still runs after SCRIPT FLUSH, sending the script again', async () => {
    const script = freshScript();
    await script.run(redis, ['k'], [1]);
    await observer.script('FLUSH');
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, index) => script.run(redis, ['k'], [index])),
    );
    expect(replies).toEqual(Array.from({ length: 20 }, (_, index) => ['k', String(index)]));
    const recovered = await scriptCommands();
    expect(recovered.noscript).toBe(20);
    expect(await script.run(redis, ['k'], ['after'])).toEqual(['k', 'after']);
    // Loaded again: the next run is an EVALSHA that finds it.
    expect(await scriptCommands()).toEqual({ ...recovered, evalsha: recovered.evalsha + 1 });
  });

  it('runs on a restarted Redis, whose new connection is sent the script first', async () => {
    const script = freshScript();
    await script.run(redis, ['k'], [1]);
    await server.crash();
    await server.restart();
    await observer.ping();
    expect(await script.run(redis, ['k'], [2])).toEqual(['k', '2']);
    expect(await script.run(redis, ['k'], [3])).toEqual(['k', '3']);
    expect(await scriptCommands()).toEqual({ eval: 1, evalsha: 1, noscript: 0 });
  });

  it('answers Buffers from runBuffer', async () => {
    const script = freshScript();
    expect(await script.runBuffer(redis, ['k'], [Buffer.from([0xff, 0x00])])).toEqual([
      Buffer.from('k'),
      Buffer.from([0xff, 0x00]),
    ]);
    expect(await script.runBuffer(redis, ['k'], ['x'])).toEqual([
      Buffer.from('k'),
      Buffer.from('x'),
    ]);
  });

  it('rejects with the script error, not a resend', async () => {
    const script = new LuaScript(`-- ${randomUUID()}
return redis.error_reply('refused here')`);
    await expect(script.run(redis, [], [])).rejects.toThrow('refused here');
    await expect(script.run(redis, [], [])).rejects.toThrow('refused here');
    expect(await scriptCommands()).toMatchObject({ eval: 1, evalsha: 1, noscript: 0 });
  });
});
