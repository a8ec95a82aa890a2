import { ApiError } from '@asr/observability';
import { scripted } from '../../../test/support/scripted-resolver';
import { type Resolver, TargetPolicy } from './target-policy';

/** Literal hosts are judged without any lookup. */
const noLookups: Resolver = (host) => Promise.reject(new Error(`unexpected lookup of ${host}`));

/** Each an IPv4 address in an IPv6 form, or other non-public IPv6, with what it is. */
const FORBIDDEN_V6: [string, string][] = [
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['::7f00:1', 'IPv4-compatible ::127.0.0.1 (as URL writes it)'],
  ['::a00:1', 'IPv4-compatible ::10.0.0.1'],
  ['::ffff:7f00:1', 'IPv4-mapped 127.0.0.1'],
  ['::ffff:127.0.0.1', 'IPv4-mapped 127.0.0.1, dotted'],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped 169.254.169.254'],
  ['::ffff:0:7f00:1', 'SIIT IPv4-translated 127.0.0.1'],
  ['64:ff9b::7f00:1', 'NAT64 127.0.0.1'],
  ['64:ff9b::808:808', 'NAT64 of a public address (still another host than the one named)'],
  ['64:ff9b:1::a00:1', 'local-use NAT64'],
  ['2002:7f00:1::1', '6to4 of 127.0.0.1'],
  ['2002:808:808::1', '6to4 of a public address'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
  ['100::1', 'discard'],
  ['2001:db8::1', 'documentation'],
  ['3fff::1', 'documentation (RFC 9637)'],
  ['2001:10::1', 'ORCHID'],
  ['fc00::1', 'unique local'],
  ['fd12:3456::1', 'unique local'],
  ['fe80::1', 'link-local'],
  ['fec0::1', 'site-local'],
  ['ff02::1', 'multicast'],
  ['5f00::1', 'SRv6 SIDs'],
];

const FORBIDDEN_V4: [string, string][] = [
  ['127.0.0.1', 'loopback'],
  ['127.0.0.2', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['192.168.1.10', 'private'],
  ['169.254.169.254', 'link-local metadata'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['0.0.0.0', 'this network'],
  ['192.0.2.1', 'documentation'],
  ['198.18.0.1', 'benchmarking'],
  ['224.0.0.1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
];

/** What an address looks like in a message, in any of its spellings. */
const ANY_ADDRESS = /\d+\.\d+\.\d+\.\d+|[0-9a-f]*:[0-9a-f]*:[0-9a-f]*/i;

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return error;
}

describe('TargetPolicy refuses hosts that are not public', () => {
  const policy = new TargetPolicy([], noLookups);

  it.each(FORBIDDEN_V4)('the literal %s (%s)', async (address) => {
    const error = await refusal(policy.check(`http://${address}/hook`, 'webhook_url'));
    expect(error.code).toBe('target_not_allowed');
    expect(error.message).toMatch(/^webhook_url: .*not allowed/);
    expect(error.message).not.toMatch(ANY_ADDRESS);
  });

  it.each(FORBIDDEN_V6)('the literal [%s] (%s)', async (address) => {
    const error = await refusal(policy.check(`http://[${address}]:8080/hook`, 'webhook_url'));
    expect(error.code).toBe('target_not_allowed');
    expect(error.message).toMatch(/not allowed/);
    expect(error.message).not.toMatch(ANY_ADDRESS);
  });

  it.each([
    ['http://[::127.0.0.1]/', 'IPv4-compatible'],
    ['http://[::ffff:0:127.0.0.1]/', 'SIIT'],
    ['http://[64:ff9b::10.0.0.1]/', 'NAT64'],
    ['http://0x7f.1/', 'hex and short IPv4'],
    ['http://2130706433/', 'IPv4 as one number'],
    ['http://0177.0.0.1/', 'octal IPv4'],
  ])('%s (%s), however it is spelt', async (url) => {
    expect((await refusal(policy.check(url, 'url'))).code).toBe('target_not_allowed');
  });

  it.each([...FORBIDDEN_V4, ...FORBIDDEN_V6])(
    'a name that resolves to %s (%s), without saying what it resolves to',
    async (address) => {
      const resolver = scripted({ 'hooks.example.test': [address] });
      const error = await refusal(new TargetPolicy([], resolver).pick('https://hooks.example.test/x', 'webhook_url'));
      expect(error.code).toBe('target_not_allowed');
      expect(error.message).toMatch(/the host hooks\.example\.test is not allowed/);
      expect(error.message).not.toMatch(ANY_ADDRESS);
      expect(resolver.calls).toEqual(['hooks.example.test']);
    },
  );

  it('refuses a name none of whose answers pass, and one that does not resolve, naming no address', async () => {
    const resolver = scripted({ 'both.example.test': ['10.0.0.1', '::ffff:192.168.0.1'], 'none.example.test': [] });
    const policy = new TargetPolicy([], resolver);
    expect((await refusal(policy.pick('http://both.example.test/', 'url'))).code).toBe('target_not_allowed');
    const missing = await refusal(policy.pick('http://none.example.test/', 'url'));
    expect(missing.code).toBe('invalid_url');
    expect(missing.message).toBe('url: the host none.example.test does not resolve');
    const failing = new TargetPolicy([], () => Promise.reject(new Error('getaddrinfo ENOTFOUND 10.9.9.9')));
    expect((await refusal(failing.pick('http://gone.example.test/', 'url'))).message).not.toMatch(ANY_ADDRESS);
  });

  it('refuses what is not http(s) or not a URL', async () => {
    expect((await refusal(policy.check('ftp://8.8.8.8/x', 'url'))).code).toBe('invalid_url');
    expect((await refusal(policy.check('not a url', 'url'))).code).toBe('invalid_url');
  });
});

describe('TargetPolicy picks the address to connect to', () => {
  it('accepts public literals; a mapped address is judged, and dialled, as its IPv4', async () => {
    const policy = new TargetPolicy([], noLookups);
    expect(await policy.pick('http://8.8.8.8/', 'url')).toMatchObject({ address: '8.8.8.8', family: 4 });
    expect(await policy.pick('http://[2606:4700:4700::1111]/', 'url')).toMatchObject({ family: 6 });
    expect(await policy.pick('http://[::ffff:8.8.8.8]/', 'url')).toMatchObject({ address: '8.8.8.8', family: 4 });
  });

  it('takes the first answer that passes, with one lookup: [allowed, forbidden] and [forbidden, public]', async () => {
    const resolver = scripted({
      'a.example.test': ['127.0.0.1', '10.0.0.1'],
      'b.example.test': ['169.254.169.254', '::7f00:1', '2606:4700:4700::1111'],
    });
    const policy = new TargetPolicy(['127.0.0.1'], resolver);
    expect(await policy.pick('http://a.example.test:8080/x', 'url')).toMatchObject({
      address: '127.0.0.1',
      family: 4,
    });
    expect(resolver.calls).toEqual(['a.example.test']);
    expect((await policy.pick('http://b.example.test/x', 'url')).address).toBe('2606:4700:4700::1111');
  });

  it('lets WEBHOOK_ALLOWED_HOSTS open an address, a range or a name, and nothing beside them', async () => {
    const resolver = scripted({ 'hooks.internal': ['10.20.0.5'], 'other.internal': ['10.20.0.5'] });
    const policy = new TargetPolicy(['127.0.0.1', '192.168.0.0/16', '64:ff9b::/96', 'hooks.internal'], resolver);
    expect((await policy.pick('http://127.0.0.1:9/', 'url')).address).toBe('127.0.0.1');
    expect((await policy.pick('http://[::ffff:127.0.0.1]:9/', 'url')).address).toBe('127.0.0.1');
    expect((await policy.pick('http://192.168.4.4/', 'url')).address).toBe('192.168.4.4');
    expect((await policy.pick('http://[64:ff9b::a00:1]/', 'url')).address).toBe('64:ff9b::a00:1');
    // Allowing 127.0.0.1 does not allow its IPv4-compatible or 6to4 spellings, nor the rest of 127/8.
    for (const url of ['http://[::127.0.0.1]/', 'http://[2002:7f00:1::]/', 'http://127.0.0.2/']) {
      expect((await refusal(policy.pick(url, 'url'))).code).toBe('target_not_allowed');
    }
    // An allowed name is not looked up at submit; when called, it is pinned to its first answer.
    expect((await policy.check('http://hooks.internal/x', 'url')).hostname).toBe('hooks.internal');
    expect(resolver.calls).toEqual([]);
    expect((await policy.pick('http://hooks.internal/x', 'url')).address).toBe('10.20.0.5');
    expect((await refusal(policy.pick('http://other.internal/x', 'url'))).code).toBe('target_not_allowed');
  });

  it('stops waiting for a lookup that hangs when its signal aborts', async () => {
    const policy = new TargetPolicy([], () => new Promise(() => undefined));
    const reason = new Error('deadline');
    const started = performance.now();
    await expect(policy.pick('http://slow.example.test/', 'url', AbortSignal.timeout(50))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(performance.now() - started).toBeLessThan(1000);
    const aborted = new AbortController();
    aborted.abort(reason);
    await expect(policy.pick('http://slow.example.test/', 'url', aborted.signal)).rejects.toBe(reason);
  });
});
