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
 * How long a kept-alive socket may idle before the pool closes it, when the server announces no
 * `Keep-Alive: timeout` of its own (an announced one wins, less undici's 2 s margin). undici's
 * default, 4 s, made calls more than 4 s apart open a new connection (a TLS handshake to a hosted
 * API) each time, where node:http's agent kept the socket until the server closed it; 30 s bridges
 * such gaps and stays under common load-balancer idle timeouts (AWS ALB 60 s, nginx 75 s).
 */
const idleSocketTimeoutMs = 30_000;

/**
 * The keep-alive connections of one provider account, shared by all its models: an undici
 * `Pool` to the account's origin (http or https after the base URL's protocol), made on the
 * first call. `destroy()` closes its sockets. No header or body timeouts: each call's own
 * signal bounds it (`CallSignal`), as it did with node:http.
 *
 * `pipelining: 2` does not pipeline: every call is a POST, which undici sends only on a socket
 * with nothing else in flight (`blocking`, non-idempotent), so a call made while another runs
 * still gets a socket of its own. What it changes is reuse: with `pipelining: 1` undici waits a
 * turn of the event loop before a freed socket takes the next request, so a call made as the
 * previous one ends opened a second socket (200 sequential calls kept two; 50 concurrent loops
 * 64). With 2 a freed socket takes it at once, after undici's own check that the idle socket
 * was not closed meanwhile.
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
        pipelining: 2,
        keepAliveTimeout: idleSocketTimeoutMs,
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
