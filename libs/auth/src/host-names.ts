import { isIPv4, isIPv6 } from 'node:net';

/** An IPv6 address in the one form URLs write it (`0:0::1` → `::1`), so two spellings compare equal. */
function canonicalIpv6(address: string): string | undefined {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/**
 * A host as compared: lowercase, without the trailing dot of an absolute name, an IPv6 address unbracketed and
 * canonical; undefined when it is none of a name, an IPv4 or an IPv6 address.
 */
export function normalHost(raw: string): string | undefined {
  let host = raw.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (isIPv6(host)) return canonicalIpv6(host);
  if (host.endsWith('.')) host = host.slice(0, -1);
  return /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(host) ? host : undefined;
}

/**
 * The host a Host header names, its port dropped (`[::1]:8000` → `::1`, `Example.com.:443` → `example.com`).
 * Anything else (user info, a path, a bare IPv6 address, two ports) is undefined: no browser sends it.
 */
export function hostOfHeader(header: string): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:/?#@[\]\\]+)(?::\d{1,5})?$/.exec(header.trim());
  return match ? normalHost(match[1]!) : undefined;
}

/** The host of a browser's Origin (`https://app.example:8443` → `app.example`); undefined for `null` and non-origins. */
export function hostOfOrigin(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  if (url.origin === 'null' || url.origin !== origin.toLowerCase().replace(/\/$/, '')) return undefined;
  return normalHost(url.hostname);
}

/** localhost and its subdomains (RFC 6761 keeps them on this machine), 127.0.0.0/8 and ::1. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return host.startsWith('127.');
  return host === '::1';
}
