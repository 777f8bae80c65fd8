import type { Socket } from 'node:net';
import { cleanupPrefix, testRedisUrl, uniquePrefix } from '@llmq/testing';
import { Redis } from 'ioredis';
import { coalesceWrites } from './coalesced-writes';

let redis: Redis;
let prefix: string;

beforeEach(async () => {
  redis = new Redis(testRedisUrl());
  prefix = uniquePrefix('test-coalesce');
  await redis.ping();
});
afterEach(async () => {
  await cleanupPrefix(redis, prefix);
  await redis.quit();
});

/** Counts the writes the connection's current socket hands to the operating system. */
function countSocketWrites(connection: Redis): { count: number } {
  const socket = (connection as unknown as { stream: Socket }).stream as Socket & {
    _write: (...values: unknown[]) => void;
    _writev: (...values: unknown[]) => void;
  };
  const counter = { count: 0 };
  const write = socket._write;
  const writev = socket._writev;
  socket._write = function (this: Socket, ...values: unknown[]) {
    counter.count += 1;
    return write.apply(this, values);
  };
  socket._writev = function (this: Socket, ...values: unknown[]) {
    counter.count += 1;
    return writev.apply(this, values);
  };
  return counter;
}

/** Sends 20 commands in one turn (a SET then a GET of each key) and reads their replies. */
async function sendInOneTurn(connection: Redis): Promise<Array<string | null>> {
  const replies = await Promise.all(
    Array.from({ length: 10 }, (_, index) => [
      connection.set(`${prefix}:${index}`, `value-${index}`),
      connection.get(`${prefix}:${index}`),
    ]).flat(),
  );
  return replies.filter((_, index) => index % 2 === 1);
}

const expected = Array.from({ length: 10 }, (_, index) => `value-${index}`);

describe('coalesceWrites', () => {
  it('writes each command on its own without it (the control)', async () => {
    const writes = countSocketWrites(redis);
    expect(await sendInOneTurn(redis)).toEqual(expected);
    expect(writes.count).toBe(20);
  });

  it('sends the commands of one turn in one write, in order', async () => {
    coalesceWrites(redis);
    const writes = countSocketWrites(redis);
    expect(await sendInOneTurn(redis)).toEqual(expected);
    expect(writes.count).toBe(1);
  });

  it('keeps coalescing after a reconnect, on the new socket', async () => {
    coalesceWrites(redis);
    const first = (redis as unknown as { stream: Socket }).stream;
    const ready = new Promise((resolve) => redis.once('ready', resolve));
    first.destroy();
    await ready;
    expect((redis as unknown as { stream: Socket }).stream).not.toBe(first);
    const writes = countSocketWrites(redis);
    expect(await sendInOneTurn(redis)).toEqual(expected);
    expect(writes.count).toBe(1);
  });

  it('sends a command written in a later turn without waiting for more', async () => {
    coalesceWrites(redis);
    const writes = countSocketWrites(redis);
    await redis.set(`${prefix}:a`, '1');
    await redis.set(`${prefix}:b`, '2');
    expect(await redis.mget(`${prefix}:a`, `${prefix}:b`)).toEqual(['1', '2']);
    expect(writes.count).toBe(3);
  });
});
