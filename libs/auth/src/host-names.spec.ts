import { hostOfHeader, hostOfOrigin, isLoopback } from './host-names';

describe('hostOfHeader', () => {
  it.each([
    ['localhost:8000', 'localhost'],
    ['LocalHost', 'localhost'],
    ['example.com.:443', 'example.com'],
    ['127.0.0.1:8000', '127.0.0.1'],
    ['[::1]:8000', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['[FE80::1]', 'fe80::1'],
  ])('reads %s as %s', (header, host) => expect(hostOfHeader(header)).toBe(host));

  it.each(['evil.example@localhost', 'localhost/x', '::1', 'a:1:2', '[::1', 'exa mple.com', '', 'localhost:'])(
    'refuses %j (no browser sends it)',
    (header) => expect(hostOfHeader(header)).toBeUndefined(),
  );
});

describe('hostOfOrigin', () => {
  it('reads the host of a serialised origin only', () => {
    expect(hostOfOrigin('https://app.example:8443')).toBe('app.example');
    expect(hostOfOrigin('http://[::1]:8000')).toBe('::1');
    for (const origin of ['null', 'http://evil.example/path', 'http://user@localhost', 'not a url'])
      expect([origin, hostOfOrigin(origin)]).toEqual([origin, undefined]);
  });
});

describe('isLoopback', () => {
  it('knows localhost, its subdomains, 127/8 and ::1, and nothing that only looks like them', () => {
    expect(['localhost', 'a.localhost', '127.0.0.1', '127.9.9.9', '::1'].every(isLoopback)).toBe(true);
    expect(['localhost.evil.example', '128.0.0.1', '::2', 'evil-localhost'].some(isLoopback)).toBe(false);
  });
});
