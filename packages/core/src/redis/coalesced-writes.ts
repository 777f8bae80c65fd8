import type { Socket } from 'node:net';
import { Cluster, type Redis } from 'ioredis';

/** Sockets already coalescing, so a second call (or a reconnect to the same socket) is a no-op. */
const coalescing = new WeakSet<Socket>();

/**
 * Makes a connection send the commands written while the process handles one batch of I/O
 * events in one socket write, in the order they were written.
 *
 * ioredis writes each command as it is sent: one `write` system call per command, and one read
 * for Redis per command. Under load, one read of Redis' replies resumes many requests at once,
 * and an HTTP server handles many requests per turn of the event loop, each sending its next
 * command. The socket is corked at the first write of a turn and uncorked in that turn's check
 * phase (`setImmediate`), after every callback of the I/O batch has run: their commands leave
 * in one `writev`. A lone command waits only for the callbacks already due, never for new I/O
 * (a pending immediate keeps the event loop from blocking). Unlike ioredis' auto-pipelining,
 * no command waits for an earlier batch's replies.
 *
 * Applies to the connection's current socket and to each one it reconnects with; on a Redis
 * Cluster client, to each node's connection.
 */
export function coalesceWrites(connection: Redis): void {
  const client = connection as Redis | Cluster;
  if (client instanceof Cluster) {
    for (const node of client.nodes()) coalesceWrites(node);
    client.on('+node', (node: Redis) => coalesceWrites(node));
    return;
  }
  const apply = () => {
    const stream = (client as unknown as { stream?: Socket }).stream;
    if (stream) coalesceSocketWrites(stream);
  };
  apply();
  client.on('connect', apply);
}

function coalesceSocketWrites(socket: Socket): void {
  if (coalescing.has(socket)) return;
  coalescing.add(socket);
  const write = socket.write;
  let corked = false;
  const flush = () => {
    corked = false;
    socket.uncork();
  };
  socket.write = function coalescedWrite(this: Socket, ...values: unknown[]): boolean {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(flush);
    }
    return (write as (...values: unknown[]) => boolean).apply(this, values);
  } as Socket['write'];
}
