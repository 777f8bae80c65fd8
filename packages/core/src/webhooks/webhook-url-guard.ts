import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import type { AddressPolicy } from './address-policy';

/** Resolves a host name to all its addresses (node's `dns.lookup` with `all: true`). */
export type ResolveHost = (hostname: string) => Promise<string[]>;

export const resolveWithDns: ResolveHost = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => {
      if (error) reject(error);
      else resolve(addresses.map((entry) => entry.address));
    });
  });

/** A parsed webhook URL's host, port and protocol, as the sender and the guard see them. */
export interface WebhookTarget {
  url: URL;
  /** Host name without IPv6 brackets. */
  hostname: string;
  port: number;
}

/** Parses a webhook URL; throws with a client-facing message when it is not http(s). */
export function parseWebhookTarget(raw: string): WebhookTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WebhookUrlError(`"${raw}" is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new WebhookUrlError(`only http and https webhook URLs are allowed, not ${url.protocol}`);
  if (url.username || url.password)
    throw new WebhookUrlError('webhook URLs may not carry credentials');
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { url, hostname, port };
}

/** A webhook URL refused by the SSRF guard or as malformed. Identify by `name`. */
export class WebhookUrlError extends Error {
  override readonly name = 'WebhookUrlError';
}

export function isWebhookUrlError(error: unknown): error is WebhookUrlError {
  return error instanceof Error && error.name === 'WebhookUrlError';
}

/**
 * Checks a webhook URL at submission: http(s) only, and every address its host resolves to must
 * pass the policy. The sender checks again against the address it actually connects to, so a
 * DNS answer that changes later (rebinding) gains nothing.
 */
export async function checkWebhookUrl(
  raw: string,
  policy: AddressPolicy,
  resolve: ResolveHost = resolveWithDns,
): Promise<WebhookTarget> {
  const target = parseWebhookTarget(raw);
  if (policy.allowsHost(target.hostname, target.port)) return target;
  let addresses: string[];
  if (isIP(target.hostname)) {
    addresses = [target.hostname];
  } else {
    try {
      addresses = await resolve(target.hostname);
    } catch {
      throw new WebhookUrlError(`the host "${target.hostname}" does not resolve`);
    }
  }
  for (const address of addresses) {
    const refusal = policy.refusal(address, target.port);
    if (refusal)
      throw new WebhookUrlError(`webhook URL refused: ${target.hostname} resolves to ${refusal}`);
  }
  return target;
}
