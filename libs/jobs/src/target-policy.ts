import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ApiError } from '@asr/observability';
import { familyOf, isPublicAddress, judgedForm } from './address-ranges';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name has, in the order they should be tried. */
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (host) => lookup(host, { all: true });

/** A URL that passed the policy, with the one address that was judged: the only one it may be called at. */
export interface Target {
  url: URL;
  address: string;
  family: 4 | 6;
}

/**
 * Decides which URLs the server may call (webhooks) or fetch (job URLs): http(s) only, and only at a public address,
 * or one WEBHOOK_ALLOWED_HOSTS names (a host name, an address or a CIDR range). Checked when a job is submitted and
 * again before every request, since DNS answers change; the request then goes to the address chosen here (`pick`),
 * never to a second lookup's answer. Refusals never say what a name resolves to: that would map an internal network.
 */
export class TargetPolicy {
  private readonly names = new Set<string>();
  private readonly allowed = new BlockList();

  constructor(
    allowedHosts: readonly string[],
    private readonly resolve: Resolver = systemResolver,
  ) {
    for (const entry of allowedHosts) {
      const [address, prefix] = entry.split('/');
      const kind = isIP(address ?? '');
      if (kind !== 0 && prefix !== undefined) {
        this.allowed.addSubnet(address!, Number(prefix), kind === 6 ? 'ipv6' : 'ipv4');
      } else if (kind !== 0) this.allowed.addAddress(address!, kind === 6 ? 'ipv6' : 'ipv4');
      else this.names.add(entry.toLowerCase());
    }
  }

  /** Validates `raw` at submit; throws a 400 ApiError naming what is wrong with it, for the field `field`. */
  async check(raw: string, field: string): Promise<URL> {
    const url = parse(raw, field);
    // An allowed name is judged when it is called; it need not resolve yet.
    if (this.names.has(hostOf(url))) return url;
    return (await this.pick(raw, field)).url;
  }

  /**
   * The address to call `raw` at: the first answer that passes (an allowed name passes whatever it resolves to).
   * None passing is a refusal before any connection. `signal` stops the wait for a lookup that hangs.
   */
  async pick(raw: string, field: string, signal?: AbortSignal): Promise<Target> {
    const url = parse(raw, field);
    const host = hostOf(url);
    const answers = isIP(host) ? [host] : await this.lookup(host, field, signal);
    const byName = this.names.has(host);
    const address = answers.map(judgedForm).find((a) => byName || this.permits(a));
    if (address === undefined) {
      const what = isIP(host) ? 'this address' : `the host ${host}`;
      throw new ApiError(
        400,
        'target_not_allowed',
        `${field}: ${what} is not allowed: it is or resolves to a private or loopback (non-public) address; ` +
          'the server calls such hosts only when WEBHOOK_ALLOWED_HOSTS lists them',
      );
    }
    return { url, address, family: familyOf(address) };
  }

  private permits(address: string): boolean {
    return this.allowed.check(address, familyOf(address) === 6 ? 'ipv6' : 'ipv4') || isPublicAddress(address);
  }

  private async lookup(host: string, field: string, signal: AbortSignal | undefined): Promise<string[]> {
    let answers: ResolvedAddress[];
    try {
      answers = await untilAborted(this.resolve(host), signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      answers = [];
    }
    if (answers.length === 0) throw new ApiError(400, 'invalid_url', `${field}: the host ${host} does not resolve`);
    return answers.map((a) => a.address);
  }
}

function parse(raw: string, field: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiError(400, 'invalid_url', `${field} is not a valid URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ApiError(400, 'invalid_url', `${field} must be an http or https URL`);
  }
  return url;
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/** `promise`, or the signal's reason once it aborts (a DNS lookup cannot itself be cancelled). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
