import { BlockList, isIP } from 'node:net';

type Subnet = readonly [network: string, prefix: number];

function blockList(family: 'ipv4' | 'ipv6', subnets: readonly Subnet[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of subnets) list.addSubnet(network, prefix, family);
  return list;
}

/** IPv4 that is not the public internet (IANA special-purpose registry): the server never calls these unasked. */
const NON_PUBLIC_V4 = blockList('ipv4', [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, where cloud metadata services live
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relays
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 3], // multicast, reserved, broadcast
]);

/**
 * Only global unicast (2000::/3) is public IPv6. That one rule refuses the IPv4-compatible ::/96, the SIIT
 * ::ffff:0:0:0/96, NAT64 (64:ff9b::/96, 64:ff9b:1::/48), discard (100::/64), ULA, link- and site-local and multicast:
 * forms that embed an IPv4 address would otherwise let `[::127.0.0.1]` reach this machine.
 */
const GLOBAL_V6 = blockList('ipv6', [['2000::', 3]]);
/** Inside 2000::/3, what is still not a plain public host. */
const SPECIAL_V6 = blockList('ipv6', [
  ['2001::', 23], // IETF protocol assignments, among them Teredo 2001::/32 (embeds an IPv4 address)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (embeds an IPv4 address)
  ['3fff::', 20], // documentation
]);

/** An address as it is judged and dialled: IPv4-mapped IPv6 (`::ffff:a.b.c.d`, `::ffff:7f00:1`) becomes the IPv4. */
export function judgedForm(address: string): string {
  const bare = address.replace(/%.*$/, '');
  if (isIP(bare) !== 6) return bare;
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(bare);
  if (!hex) return bare;
  const high = parseInt(hex[1]!, 16);
  const low = parseInt(hex[2]!, 16);
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

export function familyOf(address: string): 4 | 6 {
  return isIP(address) === 6 ? 6 : 4;
}

/** True for an address on the public internet; `address` in its judged form. */
export function isPublicAddress(address: string): boolean {
  if (isIP(address) === 4) return !NON_PUBLIC_V4.check(address, 'ipv4');
  if (isIP(address) !== 6) return false;
  return GLOBAL_V6.check(address, 'ipv6') && !SPECIAL_V6.check(address, 'ipv6');
}
