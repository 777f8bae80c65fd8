import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** One allowlist entry: a CIDR block, an address (optionally with a port), or a host name. */
type AllowEntry =
  | { kind: 'cidr'; range: [Address, number] }
  | { kind: 'address'; address: Address; port?: number }
  | { kind: 'host'; host: string; port?: number };

/**
 * Decides which addresses a webhook may be sent to. Deny by default: only global unicast
 * addresses pass, so loopback, private (RFC 1918), link-local (incl. the 169.254.169.254 cloud
 * metadata service), carrier-grade NAT (100.64/10), multicast, unspecified, reserved,
 * benchmarking, IPv6 unique-local and link-local, and IPv4-embedding IPv6 forms (6to4, Teredo,
 * NAT64) are refused. IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 it carries.
 * An explicit allowlist admits internal receivers (tests use it for their loopback receiver).
 */
export class AddressPolicy {
  private readonly allow: AllowEntry[];

  /**
   * @param allowlist entries (env `WEBHOOK_ALLOWED_HOSTS`, comma separated): `10.0.0.0/8`,
   * `127.0.0.1`, `127.0.0.1:8080`, `[::1]:8080`, `hooks.internal`, `hooks.internal:8443`.
   */
  constructor(allowlist: readonly string[] = []) {
    this.allow = allowlist.map(parseAllowEntry);
  }

  /** True when the URL's host name itself is allowlisted (its addresses are not checked). */
  allowsHost(hostname: string, port: number): boolean {
    const host = hostname.toLowerCase();
    return this.allow.some(
      (entry) =>
        entry.kind === 'host' &&
        entry.host === host &&
        (entry.port === undefined || entry.port === port),
    );
  }

  /** Why an address may not be used, or undefined when it may. */
  refusal(address: string, port: number): string | undefined {
    if (!ipaddr.isValid(address)) return `"${address}" is not an IP address`;
    const parsed = normalize(ipaddr.parse(address));
    if (this.allowsAddress(parsed, port)) return undefined;
    const range = parsed.range();
    if (range === 'unicast') return undefined;
    return `${parsed.toString()} is ${describeRange(range)}`;
  }

  private allowsAddress(address: Address, port: number): boolean {
    return this.allow.some((entry) => {
      if (entry.kind === 'cidr')
        return entry.range[0].kind() === address.kind() && address.match(entry.range);
      if (entry.kind === 'address') {
        return (
          entry.address.kind() === address.kind() &&
          entry.address.toNormalizedString() === address.toNormalizedString() &&
          (entry.port === undefined || entry.port === port)
        );
      }
      return false;
    });
  }
}

const rangeWords: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address (cloud metadata lives here)',
  carrierGradeNat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  unspecified: 'an unspecified address',
  uniqueLocal: 'a unique-local (private) IPv6 address',
  reserved: 'a reserved address',
};

function describeRange(range: string): string {
  return rangeWords[range] ?? `a non-public address (${range})`;
}

function normalize(address: Address): Address {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress())
    return (address as ipaddr.IPv6).toIPv4Address();
  return address;
}

function parseAllowEntry(raw: string): AllowEntry {
  const entry = raw.trim();
  if (entry.includes('/')) {
    if (!ipaddr.isValidCIDR(entry)) throw new Error(`invalid CIDR "${entry}" in the allowlist`);
    return { kind: 'cidr', range: ipaddr.parseCIDR(entry) };
  }
  if (ipaddr.isValid(entry)) return { kind: 'address', address: normalize(ipaddr.parse(entry)) };
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(entry);
  if (bracketed?.[1] && ipaddr.isValid(bracketed[1]))
    return {
      kind: 'address',
      address: normalize(ipaddr.parse(bracketed[1])),
      port: parsePort(bracketed[2], entry),
    };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  const host = withPort?.[1] ?? entry;
  const port = withPort ? parsePort(withPort[2], entry) : undefined;
  if (ipaddr.isValid(host))
    return { kind: 'address', address: normalize(ipaddr.parse(host)), port };
  if (!/^[a-z0-9.-]+$/i.test(host)) throw new Error(`invalid allowlist entry "${entry}"`);
  return { kind: 'host', host: host.toLowerCase(), port };
}

function parsePort(value: string | undefined, entry: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new Error(`invalid port in allowlist entry "${entry}"`);
  return port;
}
