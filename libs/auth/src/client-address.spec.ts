import type { IncomingMessage } from 'node:http';
import { clientAddress, trustProxy } from './client-address';

/** A request from `peer` that says, in X-Forwarded-For, it speaks for `forwarded` (nearest hop last). */
function request(peer: string, forwarded?: string): IncomingMessage {
  return {
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    socket: { remoteAddress: peer },
  } as unknown as IncomingMessage;
}

describe('trustProxy', () => {
  it.each<[boolean | number | string[], string, number, boolean]>([
    [true, '203.0.113.1', 5, true],
    [false, '127.0.0.1', 0, false],
    [1, '10.0.0.1', 0, true],
    [1, '10.0.0.1', 1, false],
    [['loopback'], '127.0.0.1', 0, true],
    [['loopback'], '10.0.0.1', 0, false],
    [['10.0.0.0/8', 'uniquelocal'], '10.200.0.1', 3, true],
    [['10.0.0.0/8', 'uniquelocal'], 'fd00::1', 0, true],
    [['10.0.0.0/8'], '11.0.0.1', 0, false],
  ])('TRUST_PROXY %j trusts %s at hop %i: %s', (setting, address, hop, trusted) => {
    expect(trustProxy(setting)(address, hop)).toBe(trusted);
  });
});

describe('clientAddress', () => {
  it.each<[string, boolean | number | string[], string, string | undefined, string]>([
    ['a direct client', ['loopback'], '203.0.113.5', undefined, '203.0.113.5'],
    ['a client behind the local proxy', ['loopback'], '127.0.0.1', '203.0.113.5', '203.0.113.5'],
    ['a forged header from an untrusted peer', ['loopback'], '198.51.100.7', '203.0.113.5', '198.51.100.7'],
    ['a forged hop in front of one trusted proxy', 1, '127.0.0.1', '6.6.6.6, 203.0.113.5', '203.0.113.5'],
    ['a chain of trusted proxies', true, '127.0.0.1', '203.0.113.5, 10.0.0.2', '203.0.113.5'],
    ['a header while nothing is trusted', false, '127.0.0.1', '203.0.113.5', '127.0.0.1'],
  ])('finds %s', (_case, setting, peer, forwarded, address) => {
    expect(clientAddress(request(peer, forwarded), trustProxy(setting))).toBe(address);
  });
});
