import type { Pool } from 'undici';

type UndiciModule = typeof import('undici');

let undici: UndiciModule | undefined;

/**
 * The `undici` package (the npm one, pinned in core's dependencies, not Node's bundled copy),
 * loaded on an account's first call: its modules take ~20 MB, which a process that makes no
 * provider call (the API, an idle worker) need not hold (see `lazy-dependencies.test.ts`).
 */
function undiciModule(): UndiciModule {
  undici ??= require('undici') as UndiciModule;
  return undici;
}

export interface KeepAlivePoolOptions {
  /** Most connections kept open to the server at once. Default 256. */
  maxSockets?: number;
  /** Certificates to trust instead of Node's bundled CAs (PEM), for a server on a private CA. */
  ca?: string;
}

/**
 * The keep-alive connections of one provider account, shared by all its models: an undici
 * `Pool` to the account's origin (http or https after the base URL's protocol), made on the
 * first call. `destroy()` closes its sockets. No header or body timeouts: each call's own
 * signal bounds it (`CallSignal`), as it did with node:http.
 */
export class KeepAlivePool {
  private pool: Pool | undefined;
  private destroyed = false;

  constructor(
    private readonly origin: string,
    private readonly options: KeepAlivePoolOptions = {},
  ) {}

  /** The pool, made on the first call; after `destroy()` calls fail as undici's do. */
  get dispatcher(): Pool {
    if (this.pool === undefined) {
      const { Pool } = undiciModule();
      this.pool = new Pool(this.origin, {
        connections: this.options.maxSockets ?? 256,
        headersTimeout: 0,
        bodyTimeout: 0,
        ...(this.options.ca === undefined ? {} : { connect: { ca: this.options.ca } }),
      });
      if (this.destroyed) void this.pool.destroy();
    }
    return this.pool;
  }

  /** Closes the sockets, failing the calls still under way. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    await this.pool?.destroy();
  }
}

/** The keep-alive pool of an account whose requests go under `url` (only its origin counts). */
export function createKeepAliveAgent(url: URL, options?: KeepAlivePoolOptions): KeepAlivePool {
  return new KeepAlivePool(url.origin, options);
}
