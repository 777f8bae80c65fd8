import { createHash } from 'node:crypto';
import { Command, type Redis } from 'ioredis';

type Argument = string | number;

/**
 * Lua run inside another script (a job's accept runs its companion write so): the body of a
 * function of `(KEYS, ARGV)`, which are its own `keys` and `args`. On Redis Cluster its keys
 * must share the host script's hash slot (keys built by `RedisKeys` under a hash-tagged prefix).
 */
export interface ScriptFragment {
  script: string;
  keys: string[];
  args: Argument[];
}

/**
 * A Lua script run by its SHA (EVALSHA), its text sent once per connection: the first run
 * written on a socket goes as `EVAL` with the script, which Redis then keeps, and every run
 * written after it on that socket as `EVALSHA`. Redis runs one socket's commands in order, so
 * the concurrent first runs of a new worker find the script loaded instead of each getting
 * `NOSCRIPT` and sending the whole script again; a reconnected socket (a restarted Redis)
 * starts over with `EVAL`. A `NOSCRIPT` all the same (`SCRIPT FLUSH`) is answered by sending
 * the run again, as `EVAL` on that socket. This is how ioredis' own `defineCommand` scripts
 * (BullMQ's) are sent.
 */
export class LuaScript {
  private readonly sha: string;
  private readonly ScriptCommand: new (
    name: string,
    args: Array<Argument | Buffer>,
    options: { replyEncoding: 'utf8' | null },
  ) => Command;

  constructor(source: string) {
    const sha = createHash('sha1').update(source).digest('hex');
    this.sha = sha;
    /** Sockets a run of this script was written on as `EVAL` (their Redis holds it since). */
    const sentOn = new WeakSet<object>();
    this.ScriptCommand = class ScriptCommand extends Command {
      constructor(
        name: string,
        args: Array<Argument | Buffer>,
        options: { replyEncoding: 'utf8' | null },
      ) {
        // ioredis' constructor copies its arguments with `args.flat()`, which V8 runs as a
        // generic loop: ~4 µs for an accept script's ~70 arguments, about 2% of a submit's
        // CPU. A script's arguments are flat already (strings, numbers, Buffers), so they are
        // handed over as they are, and converted as the constructor would have (numbers to
        // strings; a Buffer puts the command in buffer mode). No argument transformer is
        // registered for EVAL or EVALSHA.
        super(name, [], options);
        this.args = args;
        this.stringifyArguments();
      }

      override toWritable(socket: object): string | Buffer {
        const reject = this.reject;
        this.reject = (error: Error) => {
          if (error.message.includes('NOSCRIPT')) sentOn.delete(socket);
          reject.call(this, error);
        };
        if (!sentOn.has(socket)) {
          sentOn.add(socket);
          this.name = 'eval';
          this.args[0] = source;
        } else if (this.name === 'eval') {
          // Written again (a resend after a reconnect) on a socket that has the script.
          this.name = 'evalsha';
          this.args[0] = sha;
        }
        return super.toWritable(socket);
      }
    };
  }

  run(redis: Redis, keys: string[], args: Argument[]): Promise<unknown> {
    return this.send(redis, [this.sha, keys.length, ...keys, ...args], 'utf8');
  }

  /** Like {@link run}, with binary-safe replies (Buffers instead of strings). */
  runBuffer(redis: Redis, keys: string[], args: Array<Argument | Buffer>): Promise<unknown> {
    return this.send(redis, [this.sha, keys.length, ...keys, ...args], null);
  }

  private async send(
    redis: Redis,
    args: Array<Argument | Buffer>,
    replyEncoding: 'utf8' | null,
  ): Promise<unknown> {
    try {
      return await redis.sendCommand(new this.ScriptCommand('evalsha', args, { replyEncoding }));
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      // The socket no longer counts as holding the script: this run goes again as `EVAL`.
      return redis.sendCommand(new this.ScriptCommand('evalsha', args, { replyEncoding }));
    }
  }
}
