import type { IncomingHttpHeaders } from 'node:http';
import { hostname } from 'node:os';
import { Logger, type LoggerService } from '@nestjs/common';
import { loadConfigOrThrow, type RawEnvironment } from '@asr/config';
import { HostPolicy } from './host-policy';

const policy = (env: RawEnvironment = {}): HostPolicy => new HostPolicy(loadConfigOrThrow(env));

/** What `check` answers: `status code`, or 'ok'. */
function verdict(hosts: HostPolicy, headers: IncomingHttpHeaders, path = '/api/v1/transcribe'): string {
  const error = hosts.check(headers, path);
  return error ? `${error.getStatus()} ${error.code}` : 'ok';
}

const LISTED = {
  API_ALLOWED_HOSTS: 'API.example.com, *.apps.example.com, 10.0.0.5:8000, http://[::1]:9000/, [fe80::1], bad host!',
};

describe('HostPolicy.allows', () => {
  it.each<[string, boolean]>([
    ['localhost', true],
    ['app.localhost', true],
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    [hostname().toLowerCase(), true],
    ['evil.example', false],
    ['localhost.evil.example', false],
  ])('with API_ALLOWED_HOSTS unset: this machine and loopback; %s → %s', (host, allowed) => {
    expect(policy().allows(host)).toBe(allowed);
  });

  it('with API_ALLOWED_HOSTS unset, lets pages’ hosts from CORS_ORIGINS in as well', () => {
    const hosts = policy({ CORS_ORIGINS: 'https://app.example:8443' });
    expect([hosts.allows('app.example'), hosts.allows('other.example')]).toEqual([true, false]);
  });

  it.each<[string, boolean]>([
    ['api.example.com', true],
    ['x.apps.example.com', true],
    ['a.b.apps.example.com', true],
    ['apps.example.com', false],
    ['evilapps.example.com', false],
    ['10.0.0.5', true],
    ['::1', true],
    ['fe80::1', true],
    ['localhost', false],
    ['127.0.0.1', false],
  ])('with API_ALLOWED_HOSTS listed (ports, URLs, brackets, wildcards): %s → %s', (host, allowed) => {
    expect(policy(LISTED).allows(host)).toBe(allowed);
  });

  it('ignores listed entries that name no host, and says which', () => {
    expect(policy(LISTED).ignored).toEqual(['bad host!']);
    expect(policy({ API_ALLOWED_HOSTS: 'http://[bad' }).ignored).toEqual(['http://[bad']);
  });

  it('allows any host with API_ALLOWED_HOSTS=*', () => {
    expect(policy({ API_ALLOWED_HOSTS: '*' }).allows('anything.example')).toBe(true);
  });
});

describe('HostPolicy.check', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it.each<[string, IncomingHttpHeaders, string]>([
    ['a known Host with its port', { host: 'localhost:8000' }, 'ok'],
    ['an unknown Host', { host: 'rebound.evil.example' }, '421 host_not_allowed'],
    ['no Host', {}, '421 host_not_allowed'],
    ['a Host no browser sends', { host: 'user@localhost' }, '421 host_not_allowed'],
    ['a page on an allowed host', { host: 'localhost:8000', origin: 'http://127.0.0.1:3000' }, 'ok'],
    ['a page elsewhere', { host: 'localhost:8000', origin: 'https://evil.example' }, '403 origin_not_allowed'],
    ['a sandboxed page', { host: 'localhost:8000', origin: 'null' }, '403 origin_not_allowed'],
    ['a listed CORS origin, in capitals', { host: 'localhost', origin: 'HTTPS://APP.PARTNER.EXAMPLE' }, 'ok'],
  ])('answers %s with %s', (_case, headers, expected) => {
    expect(verdict(policy({ CORS_ORIGINS: 'https://app.partner.example' }), headers)).toBe(expected);
  });

  it.each(['/health', '/health/ready', '/metrics'])('lets probes and scrapes name any Host: %s', (path) => {
    expect(verdict(policy(), { host: '10.244.0.17:8000', origin: 'https://evil.example' }, path)).toBe('ok');
  });

  it('with every Host allowed, still wants a page on the host it calls', () => {
    const any = policy({ API_ALLOWED_HOSTS: '*' });
    expect(verdict(any, { host: 'api.example:443', origin: 'https://api.example' })).toBe('ok');
    expect(verdict(any, { host: 'api.example', origin: 'https://evil.example' })).toBe('403 origin_not_allowed');
    expect(verdict(any, { host: 'api.example', origin: 'not an origin' })).toBe('403 origin_not_allowed');
  });

  it('with CORS_ORIGINS=*, lets any page call', () => {
    expect(verdict(policy({ CORS_ORIGINS: '*' }), { host: 'localhost', origin: 'https://evil.example' })).toBe('ok');
  });

  it('says what to configure', () => {
    expect(policy().check({ host: 'new.example' }, '/')?.message).toMatch(
      /"new\.example".*add it to API_ALLOWED_HOSTS/,
    );
    expect(policy().check({ host: 'localhost', origin: 'https://x.example' }, '/')?.message).toMatch(
      /^pages from https:\/\/x\.example may not call this server: CORS_ORIGINS/,
    );
  });
});

describe('HostPolicy warnings', () => {
  const warnings: string[] = [];
  const capture: LoggerService = {
    log: () => undefined,
    error: () => undefined,
    warn: (message: unknown) => void warnings.push(JSON.stringify(message)),
  };
  beforeAll(() => {
    Logger.overrideLogger(capture);
  });
  afterAll(() => {
    Logger.overrideLogger(false);
  });
  beforeEach(() => (warnings.length = 0));

  it('logs each refused Host once, so an operator sees why', () => {
    const hosts = policy();
    for (let i = 0; i < 3; i += 1) hosts.check({ host: 'forgot.example' }, '/');
    hosts.check({ host: 'other.example' }, '/');
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('forgot.example');
  });

  it('stops logging after 100 different Hosts, so a scanner cannot grow the list', () => {
    const hosts = policy();
    for (let i = 0; i < 150; i += 1) hosts.check({ host: `scan${i}.example` }, '/');
    expect(warnings).toHaveLength(100);
  });
});

describe('HostPolicy.describe', () => {
  it.each<[RawEnvironment, string[]]>([
    [
      { API_ALLOWED_HOSTS: 'api.example.com,*.apps.example.com', CORS_ORIGINS: 'https://app.example' },
      [
        'allowed hosts: api.example.com, *.apps.example.com',
        'allowed origins: https://app.example, pages on an allowed host',
        'any Host: /health*, /metrics',
      ],
    ],
    [
      { API_ALLOWED_HOSTS: '*', CORS_ORIGINS: '*' },
      [
        'allowed hosts: any (API_ALLOWED_HOSTS=*): the Host is not checked',
        'allowed origins: any (CORS_ORIGINS=*)',
        'any Host: /health*, /metrics',
      ],
    ],
    [
      { API_ALLOWED_HOSTS: '*' },
      [
        'allowed hosts: any (API_ALLOWED_HOSTS=*): the Host is not checked',
        'allowed origins: pages on the Host they call',
        'any Host: /health*, /metrics',
      ],
    ],
  ])('for %j', (env, lines) => expect(policy(env).describe()).toEqual(lines));

  it('names loopback once and says where the derived list comes from', () => {
    const [hosts] = policy().describe();
    expect(hosts).toMatch(/^allowed hosts: localhost, \*\.localhost, 127\.0\.0\.0\/8, ::1, /);
    expect(hosts).not.toMatch(/, 127\.0\.0\.1,/);
    expect(hosts).toContain(hostname().toLowerCase());
    expect(hosts).toMatch(/\(API_ALLOWED_HOSTS unset: this machine, loopback, CORS_ORIGINS hosts\)$/);
  });
});
