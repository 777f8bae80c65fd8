import net from 'node:net';
import { freePort, testRedisUrl, waitFor } from '@llmq/testing';
import { Redis } from 'ioredis';
import { createRedisConnection } from './redis-connection';
import { type RedisStateListener, watchRedisConnection } from './redis-health';

/** A TCP proxy to the test Redis that can be cut (as if Redis died) and opened again. */
async function cuttableProxy() {
  const target = new URL(testRedisUrl());
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const open = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target.port || 6379), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', resolve);
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server?.close(() => resolve());
    });
  await open();
  return { url: `redis://127.0.0.1:${port}`, open, cut };
}

it('reports one down and one up per outage, for the connection and its duplicates', async () => {
  const proxy = await cuttableProxy();
  const changes: string[] = [];
  const listener: RedisStateListener = ({ connection, state }) =>
    changes.push(`${connection} ${state}`);
  const connection = watchRedisConnection(
    createRedisConnection({ url: proxy.url, role: 'client' }),
    'api',
    listener,
  );
  const copy = connection.duplicate();
  const unhandled: unknown[] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => unhandled.push(args);
  try {
    await Promise.all([connection.ping(), copy.ping()]);
    await proxy.cut();
    // Commands fail while Redis is away; several reconnect attempts fail too.
    await expect(connection.ping()).rejects.toThrow();
    await expect(connection.ping()).rejects.toThrow();
    await waitFor(() => changes.length >= 2 || undefined, { what: 'both connections down' });
    expect(changes.sort()).toEqual(['api down', 'api-1 down']);
    await proxy.open();
    await waitFor(
      async () => (await connection.ping().catch(() => undefined)) === 'PONG' || undefined,
      {
        what: 'the connection back',
      },
    );
    await waitFor(async () => (await copy.ping().catch(() => undefined)) === 'PONG' || undefined, {
      what: 'the duplicate back',
    });
    expect(changes.sort()).toEqual(['api down', 'api up', 'api-1 down', 'api-1 up']);
    // No connection was left without an error listener.
    expect(unhandled.filter((args) => String(args).includes('Unhandled error event'))).toEqual([]);
  } finally {
    console.error = originalError;
    connection.disconnect();
    copy.disconnect();
    await proxy.cut();
  }
});

it('says nothing while Redis stays up', async () => {
  const changes: unknown[] = [];
  const connection = watchRedisConnection(new Redis(testRedisUrl()), 'quiet', (change) =>
    changes.push(change),
  );
  try {
    expect(await connection.ping()).toBe('PONG');
    expect(changes).toEqual([]);
  } finally {
    await connection.quit();
  }
});
