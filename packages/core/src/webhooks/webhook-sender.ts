import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { AddressPolicy } from './address-policy';
import { parseWebhookTarget } from './webhook-url-guard';

/** Closed set of ways one delivery attempt can end. */
export type DeliveryAttemptOutcome =
  | 'succeeded'
  | 'http_error'
  | 'gone'
  | 'timeout'
  | 'connection_error'
  | 'blocked';

/** What one POST to a receiver came to. */
export interface AttemptResult {
  outcome: DeliveryAttemptOutcome;
  /** The receiver's HTTP status, when it answered. */
  statusCode?: number;
  latencyMs: number;
  /** Short reason for a failure (never the body we sent). */
  error?: string;
  /** The start of the response body, up to the cap. */
  responseBody?: string;
}

export interface WebhookSenderOptions {
  policy: AddressPolicy;
  /** Whole-attempt timeout, ms (env `WEBHOOK_TIMEOUT_MS`, default 10000). */
  timeoutMs?: number;
  /** How much of a response body is read, bytes (default 4096); the rest is discarded. */
  maxResponseBytes?: number;
  /** DNS resolver; tests pass one to simulate rebinding. Defaults to `dns.lookup`. */
  lookup?: LookupFunction;
}

class BlockedAddressError extends Error {
  override readonly name = 'BlockedAddressError';
}

/**
 * POSTs signed webhooks with `node:http`/`node:https` (no fetch on the hot path). SSRF-safe:
 * the DNS lookup hook refuses blocked addresses before connecting, and the address the socket
 * actually connected to is checked again before a byte of the request is written, so neither
 * a rebinding DNS answer nor a literal IP slips through. Redirects are never followed (a 3xx is
 * a failed attempt), and only the first `maxResponseBytes` of a response are read.
 */
export class WebhookSender {
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(private readonly options: WebhookSenderOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 4096;
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 256 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 256 }),
    };
  }

  /** Sends one attempt; never throws (every failure is an outcome). */
  send(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const startedAt = performance.now();
    const elapsed = () => Math.round((performance.now() - startedAt) * 10) / 10;
    let target: ReturnType<typeof parseWebhookTarget>;
    try {
      target = parseWebhookTarget(url);
    } catch (error) {
      return Promise.resolve({ outcome: 'blocked', latencyMs: 0, error: messageOf(error) });
    }
    const { policy } = this.options;
    const hostAllowed = policy.allowsHost(target.hostname, target.port);
    if (!hostAllowed && isIP(target.hostname)) {
      const refusal = policy.refusal(target.hostname, target.port);
      if (refusal) return Promise.resolve({ outcome: 'blocked', latencyMs: 0, error: refusal });
    }
    const isHttps = target.url.protocol === 'https:';
    const transport = isHttps ? https : http;

    return new Promise<AttemptResult>((resolve) => {
      let settled = false;
      const finish = (result: AttemptResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const request = transport.request(target.url, {
        method: 'POST',
        agent: isHttps ? this.agents.https : this.agents.http,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'llmq-webhooks/1',
        },
        lookup: hostAllowed ? undefined : this.guardedLookup(target.port),
      });
      const timer = setTimeout(() => {
        request.destroy(new Error(`timed out after ${this.timeoutMs} ms`));
        finish({
          outcome: 'timeout',
          latencyMs: elapsed(),
          error: `timed out after ${this.timeoutMs} ms`,
        });
      }, this.timeoutMs);

      request.on('error', (error) => {
        const blocked =
          error.name === 'BlockedAddressError' || error.cause instanceof BlockedAddressError;
        finish({
          outcome: blocked ? 'blocked' : 'connection_error',
          latencyMs: elapsed(),
          error: messageOf(error),
        });
      });
      request.on('response', (response) => {
        const statusCode = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          const responseBody = Buffer.concat(chunks)
            .toString('utf8')
            .slice(0, this.maxResponseBytes);
          const outcome: DeliveryAttemptOutcome =
            statusCode >= 200 && statusCode < 300
              ? 'succeeded'
              : statusCode === 410
                ? 'gone'
                : 'http_error';
          finish({
            outcome,
            statusCode,
            latencyMs: elapsed(),
            responseBody,
            ...(outcome === 'succeeded' ? {} : { error: `receiver answered ${statusCode}` }),
          });
        };
        response.on('data', (chunk: Buffer) => {
          if (size >= this.maxResponseBytes) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= this.maxResponseBytes) {
            // Enough read: stop the receiver from streaming us more.
            done();
            response.destroy();
          }
        });
        response.on('end', done);
        response.on('error', done);
        response.on('close', done);
      });
      // Write nothing until the socket is connected and its peer address checked.
      request.on('socket', (socket: Socket) => {
        const check = () => {
          const refusal = hostAllowed
            ? undefined
            : policy.refusal(socket.remoteAddress ?? '', target.port);
          if (refusal) {
            request.destroy(new BlockedAddressError(refusal));
            return;
          }
          request.end(body);
        };
        if (socket.connecting) socket.once('connect', check);
        else check();
      });
    });
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  private guardedLookup(port: number): LookupFunction {
    const lookup = this.options.lookup ?? dnsLookup;
    const policy = this.options.policy;
    return (hostname: string, options: LookupOptions, callback) => {
      lookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) {
          callback(error, '', 4);
          return;
        }
        const list = (Array.isArray(addresses) ? addresses : []) as LookupAddress[];
        for (const entry of list) {
          const refusal = policy.refusal(entry.address, port);
          if (refusal) {
            callback(new BlockedAddressError(`${hostname} resolves to ${refusal}`), '', 4);
            return;
          }
        }
        if (options.all) callback(null, list);
        else if (list[0]) callback(null, list[0].address, list[0].family);
        else callback(new Error(`${hostname} has no address`), '', 4);
      });
    };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
