import type { IncomingHttpHeaders } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';
import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { ApiError } from '@asr/observability';
import { hostOfHeader, hostOfOrigin, isLoopback, normalHost } from './host-names';

/** Probes and scrapes name the pod's IP or a service name, whatever the public host is. */
const isExempt = (path: string): boolean => path === '/health' || path.startsWith('/health/') || path === '/metrics';

/** This machine's own names (as os.hostname() gives it, and its first label) and every address it has. */
function ownHosts(): string[] {
  const name = hostname();
  const addresses = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address));
  return [name, name.split('.')[0]!, ...addresses].flatMap((host) => normalHost(host) ?? []);
}

/** The host of an API_ALLOWED_HOSTS entry: it may carry a port, be a bare IPv6 address or a URL, as people paste them. */
function entryHost(entry: string): string | undefined {
  if (!entry.includes('://')) return hostOfHeader(entry) ?? normalHost(entry);
  try {
    return hostOfHeader(new URL(entry).host);
  } catch {
    return undefined;
  }
}

/**
 * Which Host a request may name and which page (Origin) may call us: the defence against DNS rebinding, where a
 * page on an attacker's domain re-points that domain at this server and talks to it with its visitor's network
 * position. Such a request names the attacker's domain in Host (and in Origin), so both are compared with hosts
 * this server knows itself by: API_ALLOWED_HOSTS, or unset, this machine's names and addresses, loopback and the
 * hosts of CORS_ORIGINS. Never with the request's own Host, which the attacker chose.
 */
@Injectable()
export class HostPolicy {
  /** API_ALLOWED_HOSTS=*: the Host is not checked (a proxy in front is trusted to have done it). */
  private readonly anyHost: boolean;
  /** API_ALLOWED_HOSTS unset: the derived list, loopback included. */
  private readonly derived: boolean;
  private readonly hosts: ReadonlySet<string>;
  /** `*.example.com` entries, kept as `.example.com`: any subdomain, not the name itself. */
  private readonly suffixes: readonly string[];
  private readonly anyOrigin: boolean;
  private readonly origins: ReadonlySet<string>;
  /** API_ALLOWED_HOSTS entries that name no host: never matched (`config check` warns of them). */
  readonly ignored: readonly string[];
  private readonly logger = new Logger('hosts');
  /** Hosts refused so far (each logged once, so an operator who forgot API_ALLOWED_HOSTS sees why). */
  private readonly refused = new Set<string>();

  constructor(config: AppConfig) {
    const { allowedHosts, corsOrigins } = config.security;
    this.anyOrigin = corsOrigins.includes('*');
    this.origins = new Set(corsOrigins.filter((o) => o !== '*').map((o) => o.toLowerCase()));
    this.anyHost = allowedHosts?.includes('*') ?? false;
    this.derived = allowedHosts === undefined;
    const listed = allowedHosts ?? [...ownHosts(), ...[...this.origins].flatMap((o) => hostOfOrigin(o) ?? [])];
    const suffixOf = (entry: string): string | undefined =>
      entry.startsWith('*.') ? normalHost(entry.slice(2)) : undefined;
    this.suffixes = listed.flatMap((h) => suffixOf(h) ?? []);
    this.hosts = new Set(listed.flatMap((h) => entryHost(h) ?? []));
    this.ignored = listed.filter((h) => h !== '*' && entryHost(h) === undefined && suffixOf(h) === undefined);
  }

  /** Whether requests may name `host` (already without its port). */
  allows(host: string): boolean {
    if (this.anyHost || this.hosts.has(host)) return true;
    if (this.derived && isLoopback(host)) return true;
    return this.suffixes.some((suffix) => host.endsWith(`.${suffix}`));
  }

  /** Why this request is refused (421 for its Host, 403 for its Origin), or undefined. */
  check(headers: IncomingHttpHeaders, path: string): ApiError | undefined {
    if (isExempt(path)) return undefined;
    const host = headers.host === undefined ? undefined : hostOfHeader(headers.host);
    if (host === undefined || !this.allows(host)) {
      this.warnOnce(headers.host ?? '');
      return new ApiError(
        421,
        'host_not_allowed',
        `this server does not answer to the Host ${JSON.stringify(headers.host ?? '')}: add it to API_ALLOWED_HOSTS ` +
          '(unset, the server answers to its own names and addresses, localhost and the hosts of CORS_ORIGINS)',
      );
    }
    const origin = headers.origin;
    if (origin === undefined || this.originAllowed(origin, host)) return undefined;
    return new ApiError(
      403,
      'origin_not_allowed',
      `pages from ${origin} may not call this server: CORS_ORIGINS lists the origins that may, besides pages on ` +
        'the hosts API_ALLOWED_HOSTS allows',
    );
  }

  /** What `asr-api config check` prints: which hosts and pages are let in. */
  describe(): string[] {
    const hosts = this.anyHost
      ? 'any (API_ALLOWED_HOSTS=*): the Host is not checked'
      : [
          ...(this.derived ? ['localhost', '*.localhost', '127.0.0.0/8', '::1'] : []),
          ...[...this.hosts].filter((host) => !(this.derived && isLoopback(host))),
          ...this.suffixes.map((s) => `*.${s}`),
        ].join(', ') + (this.derived ? ' (API_ALLOWED_HOSTS unset: this machine, loopback, CORS_ORIGINS hosts)' : '');
    const origins = this.anyOrigin
      ? 'any (CORS_ORIGINS=*)'
      : [...this.origins, this.anyHost ? 'pages on the Host they call' : 'pages on an allowed host'].join(', ');
    return [`allowed hosts: ${hosts}`, `allowed origins: ${origins}`, 'any Host: /health*, /metrics'];
  }

  private warnOnce(host: string): void {
    // Bounded: a scanner sending a new Host each time must not grow this without end.
    if (this.refused.has(host) || this.refused.size >= 100) return;
    this.refused.add(host);
    this.logger.warn(
      { host: host.slice(0, 100) },
      'refused a request for a Host this server does not answer to (421); if clients reach it by this name, add it to API_ALLOWED_HOSTS',
    );
  }

  private originAllowed(origin: string, host: string): boolean {
    if (this.anyOrigin || this.origins.has(origin.toLowerCase())) return true;
    const pageHost = hostOfOrigin(origin);
    if (pageHost === undefined) return false;
    // With every Host allowed there is no list to compare with; the page must at least be on the host it calls,
    // so another site still cannot open streams or post uploads with its visitor's credentials or address.
    return this.anyHost ? pageHost === host : this.allows(pageHost);
  }
}
