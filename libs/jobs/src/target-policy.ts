import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ApiError } from '@asr/observability';

/** Addresses no webhook or job URL may reach unless allowed: loopback, private, link-local, shared, unspecified. */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address. */
function unmapped(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * Decides which URLs the server may call (webhooks) or fetch (job URLs): http(s) only, and no host that is or
 * resolves to a non-public address unless WEBHOOK_ALLOWED_HOSTS names it (a host name, an address or a CIDR range).
 * Checked when a job is submitted and again before every request, since DNS answers can change.
 */
export class TargetPolicy {
  private readonly names = new Set<string>();
  private readonly allowed = new BlockList();

  constructor(allowedHosts: readonly string[]) {
    for (const entry of allowedHosts) {
      const [address, prefix] = entry.split('/');
      const kind = isIP(address ?? '');
      if (kind !== 0 && prefix !== undefined) {
        this.allowed.addSubnet(address!, Number(prefix), kind === 6 ? 'ipv6' : 'ipv4');
      } else if (kind !== 0) this.allowed.addAddress(address!, kind === 6 ? 'ipv6' : 'ipv4');
      else this.names.add(entry.toLowerCase());
    }
  }

  /** Throws a 400 ApiError naming what is wrong with `raw`, for the field `field`. */
  async check(raw: string, field: string): Promise<URL> {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ApiError(400, 'invalid_url', `${field} is not a valid URL: ${raw}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ApiError(400, 'invalid_url', `${field} must be an http or https URL`);
    }
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.names.has(host)) return url;
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      throw new ApiError(400, 'invalid_url', `${field}: the host ${host} does not resolve`);
    }
    for (const address of addresses.map(unmapped)) {
      if (this.allowed.check(address, family(address))) continue;
      if (NON_PUBLIC.check(address, family(address))) {
        throw new ApiError(
          400,
          'target_not_allowed',
          `${field}: ${host} is ${address}, a private or loopback address; the server only calls such hosts when WEBHOOK_ALLOWED_HOSTS lists them`,
        );
      }
    }
    return url;
  }
}
